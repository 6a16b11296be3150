package net.otb.server.gateway;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;

/**
 * Bounds the session set-ups in flight (certificate verified → hello committed) by the rate the server shows it can
 * complete them, so that a reconnect storm is spread by the server instead of piling up until hellos time out and
 * the work done for them is thrown away.
 *
 * <p>Capacity is measured, not configured: the set-ups completed per second over one-second windows. A window in
 * which the server was busy (set-ups waited, or some were refused) moves the estimate towards what it completed
 * (an average with weight 0.3); a quiet window only raises it when more completed than estimated (demonstrated
 * capacity), and a second in which boxes were turned away while the admitted set-ups took less than half the
 * target doubles it (the server had room the estimate had not seen: a storm's start). At most
 * {@code max(minInFlight, capacity × targetSeconds)} set-ups are in flight: while the bound is full the
 * gateway accepts no connection ({@link #full}), and the boxes wait in the kernel's backlog, which costs the server
 * nothing; a box verified meanwhile is still let through ({@link #force}), its handshake being paid. Thread-safe.
 */
final class SetupGovernor {

    /** The admitted set-up of a connection, until its hello is committed. */
    static final io.netty.util.AttributeKey<Setup> SETUP = io.netty.util.AttributeKey.valueOf("otb.setup");

    /** With no measure yet: a rate a small server completes, so the first storm is not refused wholesale. */
    static final double INITIAL_RATE = 200;
    static final int MIN_IN_FLIGHT = 256;
    static final double TARGET_SECONDS = 2.0;
    static final double FLOOR_RATE = 20;
    static final int MAX_RETRY_SECONDS = 60;
    static final double MAX_RATE = 100_000;

    private final Clock clock;
    private final RandomGenerator random;
    private final int minInFlight;
    private final double targetSeconds;

    private int inFlight;
    private double rate;
    private long windowStart;
    private int windowCompleted;
    private boolean windowBusy;
    private boolean windowRefused;
    private long windowLatencyMillis;

    SetupGovernor(Clock clock, RandomGenerator random) {
        this(clock, random, MIN_IN_FLIGHT, TARGET_SECONDS, INITIAL_RATE);
    }

    SetupGovernor(Clock clock, RandomGenerator random, int minInFlight, double targetSeconds, double initialRate) {
        this.clock = clock;
        this.random = random;
        this.minInFlight = minInFlight;
        this.targetSeconds = targetSeconds;
        this.rate = initialRate;
        this.windowStart = clock.millis();
    }

    /** One admitted set-up; {@link #end} it once, when its hello is committed or its connection closes. */
    final class Setup {
        private final AtomicBoolean open = new AtomicBoolean(true);
        private final long started = clock.millis();

        /** @param completed whether the set-up reached its hello's commit (the server did its work) */
        void end(boolean completed) {
            if (open.compareAndSet(true, false)) {
                finished(completed, started);
            }
        }
    }

    /**
     * A new set-up: a {@link Setup} when the bound has room, else null.
     */
    synchronized Setup admit() {
        roll();
        if (atBound()) {
            return null;
        }
        return counted();
    }

    /**
     * A set-up that is counted whatever the bound: a box whose certificate is verified already (its handshake is
     * paid) goes on to its hello rather than being turned away; the bound stops the gateway accepting instead.
     */
    synchronized Setup force() {
        roll();
        return counted();
    }

    /** Whether the set-ups in flight fill the bound: the gateway accepts no connection until one ends. */
    synchronized boolean full() {
        roll();
        return atBound();
    }

    /** The bound is full: boxes wait, and the window says so to the estimate. */
    private boolean atBound() {
        if (inFlight >= limit()) {
            windowBusy = true;
            windowRefused = true;
            return true;
        }
        return false;
    }

    private Setup counted() {
        inFlight++;
        if (inFlight * 2 >= limit()) {
            windowBusy = true;
        }
        return new Setup();
    }

    private synchronized void finished(boolean completed, long started) {
        roll();
        inFlight--;
        if (completed) {
            windowCompleted++;
            windowLatencyMillis += Math.max(0, clock.millis() - started);
        }
    }

    /** Folds the windows that ended into the estimate. */
    private void roll() {
        long now = clock.millis();
        long elapsed = now - windowStart;
        if (elapsed < 1000) {
            return;
        }
        double observed = windowCompleted * 1000.0 / elapsed;
        double latencyMillis = windowCompleted == 0 ? Double.MAX_VALUE : windowLatencyMillis / (double) windowCompleted;
        if (windowRefused && latencyMillis < targetSeconds * 500) {
            // boxes were turned away while the admitted ones took less than half the target: the server has room the
            // estimate has not seen (a storm's start, a JVM warming up): probe, doubling each such second
            rate = Math.min(MAX_RATE, Math.max(rate, observed) * 2);
        } else if (windowBusy) {
            rate = Math.max(FLOOR_RATE, 0.7 * rate + 0.3 * observed);
        } else if (observed > rate) {
            rate = observed;
        }
        windowStart = now;
        windowCompleted = 0;
        windowLatencyMillis = 0;
        windowRefused = false;
        windowBusy = inFlight * 2 >= limit();
    }

    synchronized int limit() {
        return (int) Math.max(minInFlight, Math.round(rate * targetSeconds));
    }

    synchronized double ratePerSecond() {
        roll();
        return rate;
    }

    synchronized int inFlight() {
        return inFlight;
    }
}
