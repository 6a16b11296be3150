package net.otb.simulator.hardware;

/**
 * One WAN port of a box and the access line behind it. A line can be cut (the aggregation tunnel then
 * runs on the others) and restored.
 */
public final class WanLink {

    private final String name;
    private final long capacityKbps;
    private volatile boolean up = true;

    public WanLink(String name, long capacityKbps) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a WAN link needs a name");
        }
        if (capacityKbps <= 0) {
            throw new IllegalArgumentException("capacityKbps must be positive, got " + capacityKbps);
        }
        this.name = name;
        this.capacityKbps = capacityKbps;
    }

    public String name() {
        return name;
    }

    public long capacityKbps() {
        return capacityKbps;
    }

    public boolean isUp() {
        return up;
    }

    void setUp(boolean up) {
        this.up = up;
    }

    @Override
    public String toString() {
        return name + "(" + capacityKbps / 1000 + " Mbps, " + (up ? "up" : "down") + ")";
    }
}
