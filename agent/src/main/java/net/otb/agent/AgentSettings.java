package net.otb.agent;

import java.time.Duration;

/**
 * The agent's timing knobs, validated.
 *
 * @param heartbeatCap the longest heartbeat period the agent accepts from {@code welcome} (it pings at the smaller)
 * @param backoffInitial the ceiling of the first reconnect delay (full jitter: the delay is uniform in [0, ceiling])
 * @param backoffMax the cap of the ceiling, which doubles on each failed attempt
 * @param healthyAfter a session that lasted this long resets the backoff
 * @param confirmCap the longest commit-confirm wait the agent accepts from a push (it waits the smaller)
 * @param renewalWindow the agent renews its certificate once it expires within this
 * @param handshakeTimeout TLS handshake, and then {@code welcome}, must each come within this
 * @param connectTimeout TCP connect timeout
 * @param backendTimeout the longest one {@code DeviceBackend.apply} or {@code clear} may take; a push whose apply
 *                       takes longer is answered {@code rejected} and the profile in force before is put back
 */
public record AgentSettings(Duration heartbeatCap, Duration backoffInitial, Duration backoffMax, Duration healthyAfter,
                            Duration confirmCap, Duration renewalWindow, Duration handshakeTimeout,
                            Duration connectTimeout, Duration backendTimeout) {

    /**
     * Above the {@code linux-tc} backend's own worst case (a dozen commands of 5 s each, then their undoing), so
     * that it fires only for a call that hangs.
     */
    public static final Duration DEFAULT_BACKEND_TIMEOUT = Duration.ofSeconds(120);

    public AgentSettings {
        positive(heartbeatCap, "heartbeatCap");
        positive(backoffInitial, "backoffInitial");
        positive(backoffMax, "backoffMax");
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoffMax must not be below backoffInitial");
        }
        positive(healthyAfter, "healthyAfter");
        positive(confirmCap, "confirmCap");
        positive(renewalWindow, "renewalWindow");
        positive(handshakeTimeout, "handshakeTimeout");
        positive(connectTimeout, "connectTimeout");
        positive(backendTimeout, "backendTimeout");
    }

    /** The settings with the default backend timeout. */
    public AgentSettings(Duration heartbeatCap, Duration backoffInitial, Duration backoffMax, Duration healthyAfter,
                         Duration confirmCap, Duration renewalWindow, Duration handshakeTimeout,
                         Duration connectTimeout) {
        this(heartbeatCap, backoffInitial, backoffMax, healthyAfter, confirmCap, renewalWindow, handshakeTimeout,
                connectTimeout, DEFAULT_BACKEND_TIMEOUT);
    }

    /** Heartbeat cap 60 s, backoff 1 s doubling to 5 min, healthy after 10 s, confirm cap 1 h, renew 30 days before expiry, 10 s handshake and connect timeouts, 120 s backend timeout. */
    public static AgentSettings defaults() {
        return new AgentSettings(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofDays(30), Duration.ofSeconds(10),
                Duration.ofSeconds(10), DEFAULT_BACKEND_TIMEOUT);
    }

    public AgentSettings withBackoff(Duration initial, Duration max) {
        return new AgentSettings(heartbeatCap, initial, max, healthyAfter, confirmCap, renewalWindow,
                handshakeTimeout, connectTimeout, backendTimeout);
    }

    public AgentSettings withHealthyAfter(Duration value) {
        return new AgentSettings(heartbeatCap, backoffInitial, backoffMax, value, confirmCap, renewalWindow,
                handshakeTimeout, connectTimeout, backendTimeout);
    }

    public AgentSettings withHeartbeatCap(Duration value) {
        return new AgentSettings(value, backoffInitial, backoffMax, healthyAfter, confirmCap, renewalWindow,
                handshakeTimeout, connectTimeout, backendTimeout);
    }

    public AgentSettings withConfirmCap(Duration value) {
        return new AgentSettings(heartbeatCap, backoffInitial, backoffMax, healthyAfter, value, renewalWindow,
                handshakeTimeout, connectTimeout, backendTimeout);
    }

    public AgentSettings withRenewalWindow(Duration value) {
        return new AgentSettings(heartbeatCap, backoffInitial, backoffMax, healthyAfter, confirmCap, value,
                handshakeTimeout, connectTimeout, backendTimeout);
    }

    public AgentSettings withTimeouts(Duration handshake, Duration connect) {
        return new AgentSettings(heartbeatCap, backoffInitial, backoffMax, healthyAfter, confirmCap, renewalWindow,
                handshake, connect, backendTimeout);
    }

    public AgentSettings withBackendTimeout(Duration value) {
        return new AgentSettings(heartbeatCap, backoffInitial, backoffMax, healthyAfter, confirmCap, renewalWindow,
                handshakeTimeout, connectTimeout, value);
    }

    private static void positive(Duration value, String field) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be a positive duration, got " + value);
        }
    }
}
