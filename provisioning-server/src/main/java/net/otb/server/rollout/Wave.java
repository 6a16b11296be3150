package net.otb.server.rollout;

import java.time.Instant;
import java.util.Map;

/**
 * One wave of a rollout and its boxes by state.
 *
 * @param state {@code pending}, {@code running}, {@code done} or {@code failed}
 * @param boxes how many boxes are in each {@link BoxState}, every state listed
 */
public record Wave(int wave, int size, String state, Instant startedAt, Instant deadlineAt, Instant finishedAt,
                   Map<String, Long> boxes) {

    public Wave {
        boxes = Map.copyOf(boxes);
    }
}
