package net.otb.agent.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.otb.protocol.BandwidthProfile;

/**
 * A backend that shapes nothing but remembers what it was told: the agent's tests, and a box-less demo.
 * Operations complete at once. A test can make the next applies fail. Thread-safe.
 */
public final class MemoryBackend implements DeviceBackend {

    /** What happened, in order: {@code apply:<generation>} or {@code clear}. */
    private final List<String> operations = new ArrayList<>();
    private final String model;
    private final String firmware;
    private BandwidthProfile inForce;
    private String failure;
    private int failures;

    public MemoryBackend() {
        this("v3", "memory");
    }

    public MemoryBackend(String model, String firmware) {
        this.model = model;
        this.firmware = firmware;
    }

    @Override
    public synchronized CompletionStage<Void> apply(BandwidthProfile profile) {
        if (failures > 0) {
            failures--;
            operations.add("failed:" + profile.generation());
            return CompletableFuture.failedFuture(new BackendException(failure));
        }
        operations.add("apply:" + profile.generation());
        inForce = profile;
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<Void> clear() {
        operations.add("clear");
        inForce = null;
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized DeviceDescription describe() {
        long down = inForce == null ? 0 : inForce.downKbps();
        long up = inForce == null ? 0 : inForce.upKbps();
        return new DeviceDescription(model, firmware, List.of("shaping.memory"), down, up, Map.of());
    }

    /** Makes the next {@code count} applies fail with {@code reason}, leaving the shaping in force as it was. */
    public synchronized void failNextApplies(int count, String reason) {
        this.failures = count;
        this.failure = reason;
    }

    /** The profile in force, or {@code null} when unshaped. */
    public synchronized BandwidthProfile inForce() {
        return inForce;
    }

    /** Every operation so far: {@code apply:<generation>}, {@code failed:<generation>} or {@code clear}. */
    public synchronized List<String> operations() {
        return List.copyOf(operations);
    }

    /** How many times {@code generation} was applied successfully. */
    public synchronized long appliedCount(long generation) {
        String op = "apply:" + generation;
        return operations.stream().filter(op::equals).count();
    }
}
