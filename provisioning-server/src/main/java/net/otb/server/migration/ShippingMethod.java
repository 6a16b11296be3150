package net.otb.server.migration;

import java.util.Arrays;
import java.util.Optional;

/** How a box travels; a Mondial Relay parcel goes to a relay point the customer picked. */
public enum ShippingMethod {
    DHL("dhl", false),
    MONDIAL_RELAY("mondialRelay", true);

    private final String wireName;
    private final boolean needsRelay;

    ShippingMethod(String wireName, boolean needsRelay) {
        this.wireName = wireName;
        this.needsRelay = needsRelay;
    }

    public String wireName() {
        return wireName;
    }

    public boolean needsRelay() {
        return needsRelay;
    }

    public static Optional<ShippingMethod> fromWire(String name) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(name)).findFirst();
    }
}
