package net.otb.server.order;

import java.util.Arrays;
import net.otb.server.store.Tx;

/** A purchase order's life: unpaid until billing notifies a payment or the customer cancels. */
public enum OrderStatus implements Tx.Wire {
    UNPAID("unpaid"),
    PAID("paid"),
    CANCELLED("cancelled");

    private final String wire;

    OrderStatus(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }

    public static OrderStatus fromWire(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown order status " + wire));
    }
}
