package net.otb.agent;

import java.security.cert.X509Certificate;
import net.otb.protocol.BandwidthProfile;

/**
 * What happens to an agent, for the simulator, tests and operators' tooling. Every method has a no-op
 * default; they run on the agent's event-loop thread and must return quickly.
 */
public interface AgentListener {

    /** A session was established ({@code welcome} received). */
    default void connected(String sessionId) {
    }

    /** The connection ended or could not be made; the agent retries unless stopped. */
    default void disconnected(String reason) {
    }

    /** A pushed profile is now in force on the box (pending its {@code confirm}). */
    default void profileApplied(BandwidthProfile profile) {
    }

    /** The backend could not apply a pushed generation; the previous shaping stays in force. */
    default void rejected(long generation, String detail) {
    }

    /** No {@code confirm} came in time for {@code generation}: the previous profile is back in force. */
    default void rolledBack(long generation) {
    }

    /** The server confirmed {@code generation}; it will not be rolled back. */
    default void confirmed(long generation) {
    }

    /** The server decommissioned the box: shaping cleared, agent stopped. */
    default void decommissioned(String reason) {
    }

    /** A renewed certificate was stored; the next connection presents it. */
    default void certificateRenewed(X509Certificate certificate) {
    }

    /** The server asked the agent to come back no sooner than {@code seconds}. */
    default void retryAfter(int seconds) {
    }
}
