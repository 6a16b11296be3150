package net.otb.server.migration;

import java.util.Arrays;
import net.otb.server.store.Tx;

/**
 * Where a migration stands. {@code ordered} → {@code cancelled}, or paid: without a box straight to {@code done};
 * with a box {@code awaitingDelivery} → {@code shipped} (the warehouse named the box) → {@code done} when that box
 * first connects.
 */
public enum MigrationState implements Tx.Wire {
    ORDERED("ordered", true),
    AWAITING_DELIVERY("awaitingDelivery", true),
    SHIPPED("shipped", true),
    DONE("done", false),
    CANCELLED("cancelled", false);

    private final String wire;
    private final boolean open;

    MigrationState(String wire, boolean open) {
        this.wire = wire;
        this.open = open;
    }

    @Override
    public String wire() {
        return wire;
    }

    /** Whether the migration still blocks another one on its service. */
    public boolean open() {
        return open;
    }

    public static MigrationState fromWire(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown migration state " + wire));
    }
}
