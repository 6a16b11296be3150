package net.otb.server.desired;

import java.time.Instant;
import net.otb.server.device.DeviceState;

/**
 * What the gateway's hot path knows of one box, held by {@link BoxMemory}: its row, its bound service's desired
 * profile and the push task of that profile. Loaded once from the store and changed only by the box's own stripe
 * (its single writer), in the transaction that writes the same change to the store; dropped when that transaction
 * rolls back and when another writer changes the box (see docs/architecture.md, "The box's state lives with its
 * stripe"). Not thread-safe: only the box's stripe writes it; the sweep reads it as a hint.
 */
final class BoxState {

    /** The push task of the desired profile, as the store holds it (key: box, service, kind profile, generation). */
    static final class Task {
        TaskState state;
        String outcome;
        int attempts;
        int rollbacks;
        Instant sentAt;

        Task(TaskState state, String outcome, int attempts, int rollbacks, Instant sentAt) {
            this.state = state;
            this.outcome = outcome;
            this.attempts = attempts;
            this.rollbacks = rollbacks;
            this.sentAt = sentAt;
        }

        boolean open() {
            return state == TaskState.QUEUED || state == TaskState.DOING;
        }
    }

    final String id;
    String model;
    DeviceState state;
    String firmware;
    String agentVersion;
    String certSerial;
    Instant firstSeenAt;
    String appliedService;
    long appliedGeneration;
    String stateDetail;
    String ownerInstance;
    long ownerToken;

    /** The bound service, or null (then the profile and task are null too). */
    String serviceName;
    long desiredGeneration;
    DesiredProfile profile;
    /** The task of {@link #profile} for this box, or null when the store has none yet. */
    Task task;
    /** Open profile tasks of older generations for this box and service (superseded at its next in-sync hello). */
    int olderOpenTasks;
    /** The hello listeners have not been told of a hello since this state was loaded. */
    boolean listenersPending = true;

    BoxState(String id) {
        this.id = id;
    }

    /** Whether the box runs its service's desired generation. */
    boolean inSync() {
        return serviceName != null && serviceName.equals(appliedService) && appliedGeneration == desiredGeneration;
    }
}
