package net.otb.server.desired;

import com.fasterxml.jackson.annotation.JsonValue;
import net.otb.server.store.Tx;

/** What a push task sends. */
public enum TaskKind implements Tx.Wire {
    PROFILE("profile"),
    DECOMMISSION("decommission");

    private final String wire;

    TaskKind(String wire) {
        this.wire = wire;
    }

    @Override
    @JsonValue
    public String wire() {
        return wire;
    }

    public static TaskKind fromWire(String wire) {
        for (TaskKind k : values()) {
            if (k.wire.equals(wire)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown task kind " + wire);
    }
}
