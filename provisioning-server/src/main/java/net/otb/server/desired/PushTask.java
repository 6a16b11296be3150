package net.otb.server.desired;

import java.time.Instant;

/**
 * What one box must be sent for one service: a profile generation or a decommission, and how far it got.
 *
 * @param outcome why a finished task finished: {@code applied}, {@code superseded}, {@code delivered},
 *                {@code rejected}, {@code rolledBack}; null while open
 * @param attempts how many times it was sent
 * @param rollbacks how many times the box rolled this generation back
 */
public record PushTask(long id, String deviceId, String serviceName, TaskKind kind, long generation, TaskState state,
                       String outcome, int attempts, int rollbacks, Instant createdAt, Instant updatedAt,
                       Instant sentAt, Instant doneAt, String detail) {

    public boolean open() {
        return state == TaskState.QUEUED || state == TaskState.DOING;
    }
}
