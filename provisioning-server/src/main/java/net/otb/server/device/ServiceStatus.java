package net.otb.server.device;

import net.otb.server.store.Tx;

/** A service's commercial status; only an {@code active} service may change offer. */
public enum ServiceStatus implements Tx.Wire {
    ACTIVE("active"),
    SUSPENDED("suspended"),
    TERMINATED("terminated");

    private final String wire;

    ServiceStatus(String wire) {
        this.wire = wire;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
        return wire;
    }

    /**
     * @throws IllegalArgumentException naming the allowed values
     */
    public static ServiceStatus fromWire(String wire) {
        for (ServiceStatus status : values()) {
            if (status.wire.equals(wire)) {
                return status;
            }
        }
        throw new IllegalArgumentException("status must be active, suspended or terminated, got " + wire);
    }
}
