package net.otb.simulator.hardware;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.otb.protocol.BandwidthProfile;

/** What a simulated box tells the fleet: a fleet counts applies and measures push → applied with it. */
public interface BoxListener {

    /** No-op listener. */
    BoxListener NONE = new BoxListener() {
    };

    /** The shaper now enforces {@code profile}. Called on the box's scheduler thread. */
    default void applied(SimulatedBox box, BandwidthProfile profile) {
    }

    /** An apply of {@code profile} failed with {@code reason}; the previous rates stay. */
    default void rejected(SimulatedBox box, BandwidthProfile profile, String reason) {
    }

    /**
     * The box crashed during an apply (power lost): whoever runs its agent must stop it now.
     *
     * @return completes once the agent is gone; the interrupted apply fails only then, so a dead agent reports nothing
     */
    default CompletionStage<?> crashed(SimulatedBox box) {
        return CompletableFuture.completedFuture(null);
    }

    /** All shaping was removed (the box was decommissioned). */
    default void cleared(SimulatedBox box) {
    }
}
