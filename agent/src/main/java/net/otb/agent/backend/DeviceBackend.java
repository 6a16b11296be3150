package net.otb.agent.backend;

import java.util.concurrent.CompletionStage;
import net.otb.protocol.BandwidthProfile;

/**
 * What the agent needs from the box's hardware: apply a bandwidth profile, clear all shaping, and say
 * what the box is. Implementations: the Linux {@code tc} backend (real boxes), the simulator's hardware,
 * an in-memory backend for tests.
 *
 * <p>{@code apply} and {@code clear} are asynchronous because the agent's single event-loop thread must
 * never block on a slow box (and a simulated fleet shares one event-loop group among thousands of boxes).
 * A failure completes the stage exceptionally with a {@link BackendException} whose message is shown to
 * the server as the {@code rejected} detail. After a failed {@code apply} the backend has restored the
 * shaping that was in force before: nothing is half-applied.
 */
public interface DeviceBackend extends AutoCloseable {

    /** Applies {@code profile}; re-applying the shaping in force changes nothing. */
    CompletionStage<Void> apply(BandwidthProfile profile);

    /** Removes all shaping this backend made. */
    CompletionStage<Void> clear();

    /** The model, firmware and capabilities the agent announces in {@code hello}, and what is applied now. */
    DeviceDescription describe();

    /** Releases the backend's resources (threads, handles); shaping in force stays in force. */
    @Override
    default void close() {
    }
}
