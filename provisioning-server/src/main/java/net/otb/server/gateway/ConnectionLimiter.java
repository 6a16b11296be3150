package net.otb.server.gateway;

import java.net.InetAddress;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * Admission of new agent connections: a token bucket per source address and a global cap on open connections; a
 * refused connection completes TLS so that it can be told {@code retryAfter} (over the rate in 1 to 10 s, over the
 * cap in 5 to 30 s). It also keeps the {@link SetupGovernor}, whose bound on session set-ups in flight (following the
 * set-up rate the server measures) makes the gateway stop accepting, so that a storm waits in the kernel's backlog
 * rather than in handshakes the server would pay for only to turn the box away. Thread-safe.
 */
final class ConnectionLimiter {

    /**
     * Whether a new connection may proceed; when not, after how many seconds to come back.
     *
     * @param setup the admitted set-up, to end when its hello is committed or its connection closes; null otherwise
     */
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
    private final SetupGovernor setups;

    ConnectionLimiter(int rate, int burst, int maxConnections, Clock clock, RandomGenerator random) {
        this(rate, burst, maxConnections, clock, random, new SetupGovernor(clock, random));
    }

    ConnectionLimiter(int rate, int burst, int maxConnections, Clock clock, RandomGenerator random,
                      SetupGovernor setups) {
        this.setups = setups;
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
            // the server holds all the sessions it may: a slot frees when a session ends, not at a rate
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
            if (bucket.tokens < 1) {
                return new Admission(false, "rate", 1 + random.nextInt(10));
            }
            bucket.tokens -= 1;
        }
        return Admission.OK;
    }

    SetupGovernor setups() {
        return setups;
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
