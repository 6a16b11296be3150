package net.otb.server.rollout;

import net.otb.server.store.Tx;

/**
 * Where a rollout is: {@code scheduled → running → paused | aborted | completed}, and {@code cancelled} by an
 * operator from any open state. Aborted, completed and cancelled are final.
 */
public enum RolloutState implements Tx.Wire {
    SCHEDULED("scheduled"),
    RUNNING("running"),
    PAUSED("paused"),
    ABORTED("aborted"),
    COMPLETED("completed"),
    CANCELLED("cancelled");

    private final String wire;

    RolloutState(String wire) {
        this.wire = wire;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
        return wire;
    }

    /** Whether nothing more happens to the rollout (apart from a revert). */
    public boolean finished() {
        return this == ABORTED || this == COMPLETED || this == CANCELLED;
    }

    public static RolloutState fromWire(String wire) {
        for (RolloutState s : values()) {
            if (s.wire.equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown rollout state " + wire);
    }
}
