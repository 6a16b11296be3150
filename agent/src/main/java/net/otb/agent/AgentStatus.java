package net.otb.agent;

import net.otb.protocol.BandwidthProfile;

/**
 * A snapshot of an agent, safe to read from any thread.
 *
 * @param phase where the agent is in its life
 * @param sessionId the current session's id, or {@code null} when not connected
 * @param applied the profile in force, or {@code null}
 * @param previous the profile a rollback would restore, or {@code null}
 * @param pendingConfirm the generation awaiting {@code confirm}, or {@code null}
 */
public record AgentStatus(String deviceId, Phase phase, String sessionId, BandwidthProfile applied,
                          BandwidthProfile previous, Long pendingConfirm) {

    /** The agent's life: {@code STOPPED → STARTING → CONNECTING ⇄ CONNECTED / WAITING → STOPPED | DECOMMISSIONED}. */
    public enum Phase {
        STOPPED, STARTING, CONNECTING, CONNECTED, WAITING, DECOMMISSIONED
    }

    public boolean connected() {
        return phase == Phase.CONNECTED;
    }
}
