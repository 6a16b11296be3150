package net.otb.server.rollout;

import java.time.Duration;
import java.time.Instant;

/**
 * What an operator asks for: move {@code target} to {@code offer} in waves. The first wave (the canary) is
 * {@code canaryBoxes} boxes or {@code canaryPercent} % of the target (exactly one of the two); each next wave is
 * {@code growthFactor} times the previous one. At most {@code maxPerMinute} boxes are changed per minute. The rollout
 * aborts when more than {@code abortFailurePercent} % of a wave's boxes report {@code rejected} or {@code rolledBack},
 * or when a wave has not finished {@code waveTimeout} after it started.
 *
 * @param startAt when to start, or null for now
 */
public record RolloutSpec(String name, RolloutTarget target, String offer, Integer canaryBoxes, Integer canaryPercent,
                          double growthFactor, int maxPerMinute, int abortFailurePercent, Duration waveTimeout,
                          Instant startAt) {

    public RolloutSpec {
        if (name == null || name.isBlank()) {
            name = "rollout to " + offer;
        }
        if (name.length() > 128) {
            throw new IllegalArgumentException("name must be at most 128 characters");
        }
        if (target == null) {
            throw new IllegalArgumentException("a target is required");
        }
        if (offer == null || offer.isBlank()) {
            throw new IllegalArgumentException("offer is required");
        }
        if ((canaryBoxes == null) == (canaryPercent == null)) {
            throw new IllegalArgumentException("give exactly one of canaryBoxes and canaryPercent");
        }
        if (canaryBoxes != null && (canaryBoxes < 1 || canaryBoxes > RolloutTarget.MAX_BOXES)) {
            throw new IllegalArgumentException("canaryBoxes must be between 1 and " + RolloutTarget.MAX_BOXES
                    + ", got " + canaryBoxes);
        }
        if (canaryPercent != null && (canaryPercent < 1 || canaryPercent > 100)) {
            throw new IllegalArgumentException("canaryPercent must be between 1 and 100, got " + canaryPercent);
        }
        if (!(growthFactor >= 1.0 && growthFactor <= 100.0)) {
            throw new IllegalArgumentException("growthFactor must be between 1 and 100, got " + growthFactor);
        }
        if (maxPerMinute < 1 || maxPerMinute > 1_000_000) {
            throw new IllegalArgumentException("maxPerMinute must be between 1 and 1000000, got " + maxPerMinute);
        }
        if (abortFailurePercent < 0 || abortFailurePercent > 100) {
            throw new IllegalArgumentException("abortFailurePercent must be between 0 and 100, got " + abortFailurePercent);
        }
        if (waveTimeout == null || waveTimeout.toSeconds() < 1 || waveTimeout.toDays() > 30) {
            throw new IllegalArgumentException("waveTimeout must be between 1 s and 30 days, got " + waveTimeout);
        }
    }
}
