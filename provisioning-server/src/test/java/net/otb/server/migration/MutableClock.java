package net.otb.server.migration;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the test sets to the day it wants (payment day, delivery day), forward only, and that then runs at real
 * speed, so the server's timeouts and rate limits keep working. Thread-safe.
 */
final class MutableClock extends Clock {

    private record Anchor(Instant at, long nanos) {
    }

    private volatile Anchor anchor;

    MutableClock(Instant start) {
        set(start);
    }

    /** Moves the clock forward to {@code instant}; the server's rate limits and timeouts assume time never goes back. */
    void set(Instant instant) {
        Anchor current = anchor;
        if (current != null && instant.isBefore(instant())) {
            throw new IllegalArgumentException("the test clock only moves forward: " + instant + " is before " + instant());
        }
        anchor = new Anchor(instant, System.nanoTime());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the test clock stays in UTC");
    }

    @Override
    public Instant instant() {
        Anchor a = anchor;
        return a.at().plusNanos(System.nanoTime() - a.nanos());
    }
}
