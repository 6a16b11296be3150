package net.otb.agent.session;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: exponential backoff with full jitter. The ceiling starts at {@code initial} and doubles on
 * each failed attempt up to {@code max}; each delay is uniform in [0, ceiling], so that a fleet that lost its
 * server together does not come back together. Not thread-safe: one per agent, used on its loop.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final RandomGenerator random;
    private int attempt;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
        if (initialMillis <= 0 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max");
        }
    }

    /** The next delay in milliseconds; counts an attempt. */
    public long nextDelayMillis() {
        long ceiling = ceilingMillis(attempt);
        if (attempt < 62) {
            attempt++;
        }
        return random.nextLong(ceiling + 1);
    }

    /** The ceiling of the delay after {@code failures} earlier failed attempts. */
    public long ceilingMillis(int failures) {
        if (failures >= 62 || initialMillis > (maxMillis >> Math.min(failures, 62))) {
            return maxMillis;
        }
        return Math.min(maxMillis, initialMillis << failures);
    }

    /** A delay of at least {@code floorMillis}, spread by up to a tenth more (for {@code retryAfter}). */
    public long atLeast(long floorMillis) {
        return floorMillis + random.nextLong(Math.max(1, floorMillis / 10) + 1);
    }

    /** A delay in the upper half of the cap, for a peer that should stay away (superseded). */
    public long longDelayMillis() {
        return maxMillis / 2 + random.nextLong(maxMillis / 2 + 1);
    }

    /** Starts again from {@code initial}, after a healthy session. */
    public void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
