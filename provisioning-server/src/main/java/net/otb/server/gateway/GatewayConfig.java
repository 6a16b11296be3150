package net.otb.server.gateway;

/**
 * The agent gateway's settings.
 *
 * @param host the address to bind (loopback by default)
 * @param port the agent port, 0 for any free port
 * @param handshakeTimeoutSeconds a TLS handshake not done by then closes the connection
 * @param helloTimeoutSeconds a {@code hello} not received this long after the handshake closes the connection
 * @param heartbeatSeconds the heartbeat announced in {@code welcome}; 3 missed close the session
 * @param confirmSeconds how long a box waits for {@code confirm} before rolling back
 * @param ackTimeoutSeconds a push unanswered this long is sent again
 * @param maxRollbackRepush how many times a rolled-back generation is pushed again before its task goes {@code error}
 * @param maxSessions the global cap of connections; more are answered {@code retryAfter}
 * @param perSourceRate new connections per second allowed from one source address (token bucket rate)
 * @param perSourceBurst the bucket size of that limit
 * @param sweepSeconds period of the sweep that re-sends due pushes to connected boxes
 * @param ioThreads event-loop threads of the gateway, 0 for Netty's default
 * @param dbStripes worker threads doing the sessions' store work; one box always uses the same one
 * @param unverifiedPerSource connections from one source address that may be open without having shown a valid
 *        certificate yet (in TLS set-up); one more closes the oldest of them, once it has had its chance
 * @param unverifiedTotal the same, all sources together; over it, the oldest is closed, or the gateway stops
 *        accepting until a set-up ends (the kernel's backlog holds the boxes meanwhile)
 */
public record GatewayConfig(String host, int port, int handshakeTimeoutSeconds, int helloTimeoutSeconds,
                            int heartbeatSeconds, int confirmSeconds, int ackTimeoutSeconds, int maxRollbackRepush,
                            int maxSessions, int perSourceRate, int perSourceBurst, int sweepSeconds, int ioThreads,
                            int dbStripes, int unverifiedPerSource, int unverifiedTotal) {

    /** Connections in TLS set-up allowed by default: per source, and in all. */
    public static final int UNVERIFIED_PER_SOURCE = 64;
    public static final int UNVERIFIED_TOTAL = 1024;

    /** With the default limits of unverified connections. */
    public GatewayConfig(String host, int port, int handshakeTimeoutSeconds, int helloTimeoutSeconds,
                         int heartbeatSeconds, int confirmSeconds, int ackTimeoutSeconds, int maxRollbackRepush,
                         int maxSessions, int perSourceRate, int perSourceBurst, int sweepSeconds, int ioThreads,
                         int dbStripes) {
        this(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds, confirmSeconds,
                ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst, sweepSeconds, ioThreads,
                dbStripes, UNVERIFIED_PER_SOURCE, UNVERIFIED_TOTAL);
    }

    public GatewayConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("gateway host is required");
        }
        range(port, 0, 65_535, "agent port");
        range(handshakeTimeoutSeconds, 1, 300, "handshakeTimeoutSeconds");
        range(helloTimeoutSeconds, 1, 300, "helloTimeoutSeconds");
        range(heartbeatSeconds, 1, 3_600, "heartbeatSeconds");
        range(confirmSeconds, 1, 3_600, "confirmSeconds");
        range(ackTimeoutSeconds, 1, 3_600, "ackTimeoutSeconds");
        range(maxRollbackRepush, 0, 100, "maxRollbackRepush");
        range(maxSessions, 1, 1_000_000, "maxSessions");
        range(perSourceRate, 1, 1_000_000, "perSourceRate");
        range(perSourceBurst, 1, 1_000_000, "perSourceBurst");
        range(sweepSeconds, 1, 3_600, "sweepSeconds");
        range(ioThreads, 0, 256, "ioThreads");
        range(dbStripes, 1, 64, "dbStripes");
        range(unverifiedPerSource, 1, 1_000_000, "unverifiedPerSource");
        range(unverifiedTotal, 1, 1_000_000, "unverifiedTotal");
    }

    /** These limits of connections that have not shown a valid certificate yet. */
    public GatewayConfig withUnverifiedLimits(int perSource, int total) {
        return new GatewayConfig(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst,
                sweepSeconds, ioThreads, dbStripes, perSource, total);
    }

    /** Loopback, port 4443, 30 s heartbeats, 20,000 sessions, 500 new connections/s per source. */
    public static GatewayConfig defaults() {
        return new GatewayConfig("127.0.0.1", 4443, 10, 10, 30, 30, 20, 3, 20_000, 500, 2_000, 5, 0, 4);
    }

    public GatewayConfig withPort(int newPort) {
        return new GatewayConfig(host, newPort, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst,
                sweepSeconds, ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withHost(String newHost) {
        return new GatewayConfig(newHost, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst,
                sweepSeconds, ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withTimings(int heartbeat, int confirm, int ackTimeout, int sweep) {
        return new GatewayConfig(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeat, confirm,
                ackTimeout, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst, sweep, ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withLimits(int newMaxSessions, int rate, int burst) {
        return new GatewayConfig(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, maxRollbackRepush, newMaxSessions, rate, burst, sweepSeconds,
                ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withTimeouts(int handshakeSeconds, int helloSeconds) {
        return new GatewayConfig(host, port, handshakeSeconds, helloSeconds, heartbeatSeconds, confirmSeconds,
                ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst, sweepSeconds,
                ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withThreads(int io, int stripes) {
        return new GatewayConfig(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, maxRollbackRepush, maxSessions, perSourceRate, perSourceBurst,
                sweepSeconds, io, stripes, unverifiedPerSource, unverifiedTotal);
    }

    public GatewayConfig withMaxRollbackRepush(int n) {
        return new GatewayConfig(host, port, handshakeTimeoutSeconds, helloTimeoutSeconds, heartbeatSeconds,
                confirmSeconds, ackTimeoutSeconds, n, maxSessions, perSourceRate, perSourceBurst, sweepSeconds,
                ioThreads, dbStripes, unverifiedPerSource, unverifiedTotal);
    }

    private static void range(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
