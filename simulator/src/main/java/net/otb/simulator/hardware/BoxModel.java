package net.otb.simulator.hardware;

import java.util.List;
import java.util.Locale;

/**
 * The box models of the fleet, with the figures the simulation needs: the nominal capacity (what the box's
 * CPU can shape and tunnel), its WAN ports, and how long its shaper takes to reprogram.
 */
public enum BoxModel {
    V2B("v2b", 400_000, List.of(100_000L, 100_000L, 200_000L), 40),
    V2C("v2c", 600_000, List.of(300_000L, 300_000L, 300_000L), 30),
    V3("v3", 2_000_000, List.of(1_000_000L, 1_000_000L, 500_000L, 500_000L), 15);

    private final String wireName;
    private final long nominalKbps;
    private final List<Long> wanCapacitiesKbps;
    private final long applyMillis;

    BoxModel(String wireName, long nominalKbps, List<Long> wanCapacitiesKbps, long applyMillis) {
        this.wireName = wireName;
        this.nominalKbps = nominalKbps;
        this.wanCapacitiesKbps = wanCapacitiesKbps;
        this.applyMillis = applyMillis;
    }

    /** The name in {@code hello.model} and in the server's device records. */
    public String wireName() {
        return wireName;
    }

    /** What the box can shape and tunnel at most, in kbit/s. */
    public long nominalKbps() {
        return nominalKbps;
    }

    /** The default capacity of each WAN port (the customer's access lines), in kbit/s. */
    public List<Long> wanCapacitiesKbps() {
        return wanCapacitiesKbps;
    }

    /** How long reprogramming the shaper takes on this model (tc on its CPU), in milliseconds. */
    public long applyMillis() {
        return applyMillis;
    }

    /** The serial prefix the warehouse uses for the model, e.g. {@code OTB3}. */
    public String serialPrefix() {
        return switch (this) {
            case V2B -> "OTB2B";
            case V2C -> "OTB2C";
            case V3 -> "OTB3";
        };
    }

    /**
     * Parses {@code v2b}, {@code v2c} or {@code v3}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static BoxModel parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (BoxModel model : values()) {
            if (model.wireName.equals(v)) {
                return model;
            }
        }
        throw new IllegalArgumentException("box model must be v2b, v2c or v3, got: " + value);
    }
}
