package net.otb.server.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/** A clock a gateway test moves by hand. */
final class HandClock extends Clock {
    Instant now = Instant.parse("2028-01-01T00:00:00Z");

    void advance(long millis) {
        now = now.plus(Duration.ofMillis(millis));
    }

    @Override
    public ZoneOffset getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }
}
