package net.otb.server.gateway;

import java.net.InetAddress;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Admission of new agent connections: a token bucket per source address and a global cap on open
 * connections. A refused connection still completes TLS so that it can be told {@code retryAfter}, with
 * jitter so that a storm spreads out. Thread-safe.
 */
final class ConnectionLimiter {

    /** Whether a new connection may proceed; when not, after how many seconds to come back. */
    record Admission(boolean admitted, String reason, int retryAfterSeconds) {
        static final Admission OK = new Admission(true, null, 0);
    }

    private static final class Bucket {
        double tokens;
        long lastMillis;
    }

    private final int rate;
    private final int burst;
    private final int maxConnections;
    private final Clock clock;
    private final RandomGenerator random;
    private final Map<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(int rate, int burst, int maxConnections, Clock clock, RandomGenerator random) {
        this.rate = rate;
        this.burst = burst;
        this.maxConnections = maxConnections;
        this.clock = clock;
        this.random = random;
    }

    /** Counts a new connection (always: {@link #closed()} is called for each) and decides its admission. */
    Admission opened(InetAddress source) {
        int now = open.incrementAndGet();
        if (now > maxConnections) {
            return new Admission(false, "cap", 5 + random.nextInt(26));
        }
        Bucket bucket = buckets.computeIfAbsent(source, s -> {
            Bucket b = new Bucket();
            b.tokens = burst;
            b.lastMillis = clock.millis();
            return b;
        });
        synchronized (bucket) {
            long millis = clock.millis();
            // a wall clock that steps back (NTP, an operator) must not push a bucket below empty
            bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, millis - bucket.lastMillis) * rate / 1000.0);
            bucket.lastMillis = millis;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return Admission.OK;
            }
        }
        return new Admission(false, "rate", 1 + random.nextInt(10));
    }

    void closed() {
        open.decrementAndGet();
    }

    int openConnections() {
        return open.get();
    }

    /** Drops the buckets that are full again (their sources are quiet). */
    void purge() {
        long millis = clock.millis();
        buckets.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().tokens + Math.max(0, millis - e.getValue().lastMillis) * rate / 1000.0 >= burst;
            }
        });
    }
}
