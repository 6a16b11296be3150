package net.otb.agent.state;

import net.otb.protocol.BandwidthProfile;

/**
 * What the agent keeps across restarts, saved as one file so that it is always wholly old or wholly new.
 *
 * @param applied the profile in force on the box, or {@code null}
 * @param previous the profile a rollback restores (the last confirmed one), or {@code null}
 * @param pending the commit-confirm the agent waits for, or {@code null}
 * @param unreportedRollback a generation rolled back but not yet reported to the server, or {@code null}
 * @param decommissioned the reason the box was decommissioned, or {@code null}
 */
public record AgentState(BandwidthProfile applied, BandwidthProfile previous, PendingConfirm pending,
                         Long unreportedRollback, String decommissioned) {

    public static final AgentState EMPTY = new AgentState(null, null, null, null, null);

    public AgentState {
        if (pending != null && (applied == null || applied.generation() != pending.generation())) {
            throw new IllegalArgumentException("a pending confirm must be for the applied generation");
        }
    }

    /**
     * A generation awaiting its {@code confirm}.
     *
     * @param deadlineEpochMillis when the agent reverts without it (wall clock, so that it survives a restart)
     */
    public record PendingConfirm(long generation, long deadlineEpochMillis) {
    }

    public AgentState withUnreportedRollback(Long generation) {
        return new AgentState(applied, previous, pending, generation, decommissioned);
    }

    public AgentState confirmed() {
        return new AgentState(applied, previous, null, unreportedRollback, decommissioned);
    }
}
