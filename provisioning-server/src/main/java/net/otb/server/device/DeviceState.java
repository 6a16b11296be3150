package net.otb.server.device;

import net.otb.server.store.Tx;

/** Where a box is in its life. Connected or not is a separate, in-memory fact of the gateway. */
public enum DeviceState implements Tx.Wire {
    /** Registered by the warehouse, never connected. */
    REGISTERED("registered"),
    /** Has connected at least once and is allowed to. */
    ACTIVE("active"),
    /** Replaced: it must receive {@code decommission} at its next connection. */
    DECOMMISSIONING("decommissioning"),
    /** Told to stop; refused from now on. */
    DECOMMISSIONED("decommissioned"),
    /** Refused by an operator; its certificate is on the revocation list. */
    REVOKED("revoked");

    private final String wire;

    DeviceState(String wire) {
        this.wire = wire;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
        return wire;
    }

    public static DeviceState fromWire(String wire) {
        for (DeviceState state : values()) {
            if (state.wire.equals(wire)) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown device state " + wire);
    }
}
