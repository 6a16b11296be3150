package net.otb.server.rollout;

import java.time.Duration;
import java.time.Instant;

/**
 * A rollout's rate as a token bucket: it refills at {@code maxPerMinute / 60} tokens a second, continuously, up to
 * {@link #capacity} tokens (rate/60 + 1: a tick never loses the fraction it carries), and each box changed takes one.
 * So 90 a minute is 90 a minute (one box every 667 ms, never more than two in a second), and a rate under 60 is one
 * box every 60/rate seconds. A new bucket holds a second's share (⌊rate/60⌋, one at least): the first boxes go at
 * once. Kept in the rollout's row ({@code rate_tokens},
 * {@code rate_at}) so that a restart or another instance goes on from the same bucket.
 *
 * @param tokens the tokens held at {@code at}
 */
public record TokenBucket(double tokens, Instant at) {

    public TokenBucket {
        if (at == null || !(tokens >= 0)) {
            throw new IllegalArgumentException("a token bucket needs a time and tokens >= 0, got " + tokens + " at " + at);
        }
    }

    /** The bucket of a rollout that has changed no box yet: ⌊rate/60⌋ tokens (one at least), a second's share. */
    public static TokenBucket start(int maxPerMinute, Instant now) {
        return new TokenBucket(Math.max(1, maxPerMinute / 60), now);
    }

    /**
     * The most tokens held: a second's worth and the fraction a tick carries over, so that a tick of a second or less
     * never loses refill to the cap; after an idle time (a pause) that is a burst of ⌊rate/60⌋ + 1 boxes at most.
     */
    public static double capacity(int maxPerMinute) {
        return maxPerMinute / 60.0 + 1;
    }

    /** The bucket at {@code now}, refilled for the time since {@link #at} (none when the clock went back). */
    public TokenBucket refill(int maxPerMinute, Instant now) {
        long elapsed = Math.max(0, Duration.between(at, now).toMillis());
        double refilled = Math.min(capacity(maxPerMinute), tokens + elapsed * (maxPerMinute / 60_000.0));
        return new TokenBucket(refilled, now.isAfter(at) ? now : at);
    }

    /** How many boxes may be changed now. */
    public long available() {
        // a hair of tolerance: 1.5 tokens a second for 2/3 s is 0.99999… in floating point
        return (long) Math.floor(tokens + 1e-9);
    }

    /** The bucket after {@code boxes} were changed. */
    public TokenBucket take(long boxes) {
        if (boxes > available()) {
            throw new IllegalArgumentException("took " + boxes + " boxes from a bucket holding " + available());
        }
        return new TokenBucket(Math.max(0, tokens - boxes), at);
    }
}
