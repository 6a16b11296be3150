package net.otb.simulator.fleet;

import net.otb.protocol.BandwidthProfile;

/** What happens across a fleet, for the commands that print it and the bench that measures it. */
public interface FleetListener {

    FleetListener NONE = new FleetListener() {
    };

    default void connected(SimulatedDevice device) {
    }

    default void disconnected(SimulatedDevice device, String reason) {
    }

    default void applied(SimulatedDevice device, BandwidthProfile profile) {
    }

    default void rejected(SimulatedDevice device, long generation, String detail) {
    }

    default void rolledBack(SimulatedDevice device, long generation) {
    }

    default void confirmed(SimulatedDevice device, long generation) {
    }

    /** The server turned the box away for now ({@code retryAfter}: its set-up admission was full). */
    default void retryAfter(SimulatedDevice device, int seconds) {
    }

    default void decommissioned(SimulatedDevice device, String reason) {
    }
}
