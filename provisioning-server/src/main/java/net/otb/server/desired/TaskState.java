package net.otb.server.desired;

import com.fasterxml.jackson.annotation.JsonValue;
import net.otb.server.store.Tx;

/** A push task's progress. */
public enum TaskState implements Tx.Wire {
    /** To be sent when the box is connected (wire name {@code todo}). */
    QUEUED("todo"),
    /** Sent, waiting for the box's answer; re-sent if none comes. */
    DOING("doing"),
    /** Finished: applied, superseded by a newer generation, or the decommission was delivered. */
    DONE("done"),
    /** Needs an operator: rejected by the box, or rolled back too many times. */
    ERROR("error");

    private final String wire;

    TaskState(String wire) {
        this.wire = wire;
    }

    @Override
    @JsonValue
    public String wire() {
        return wire;
    }

    public static TaskState fromWire(String wire) {
        for (TaskState s : values()) {
            if (s.wire.equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown task state " + wire);
    }
}
