package net.otb.server.rollout;

import java.time.Duration;
import java.time.Instant;

/** A rollout as the store keeps it (its waves and boxes are in their own tables). */
public record Rollout(long id, String name, String offer, RolloutTarget.Kind targetKind, String targetValue,
                     Integer canaryBoxes, Integer canaryPercent, double growthFactor, int maxPerMinute,
                     int abortFailurePercent, Duration waveTimeout, RolloutState state, int currentWave, int waves,
                     int boxes, Instant startAt, String actor, String detail, Instant createdAt, Instant updatedAt,
                     Instant startedAt, Instant finishedAt, Instant revertedAt, String leaseOwner, Instant leaseUntil) {

    /** The actor of the rollout's own changes in the audit log and the desired profiles. */
    public String driverActor() {
        return "rollout:" + id;
    }
}
