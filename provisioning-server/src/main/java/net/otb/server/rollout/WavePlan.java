package net.otb.server.rollout;

import java.util.ArrayList;
import java.util.List;

/** The sizes of a rollout's waves: the canary, then each wave {@code factor} times the previous, the last one short. */
public final class WavePlan {

    private WavePlan() {
    }

    /**
     * @param total how many boxes the rollout takes (at least 1)
     * @param canaryBoxes the canary's size, or null to take {@code canaryPercent} % of {@code total} (rounded up)
     * @return the wave sizes, in order, summing to {@code total}
     */
    public static List<Integer> sizes(int total, Integer canaryBoxes, Integer canaryPercent, double factor) {
        if (total < 1) {
            throw new IllegalArgumentException("a rollout needs at least one box");
        }
        long canary = canaryBoxes != null ? canaryBoxes : (total * (long) canaryPercent + 99) / 100;
        List<Integer> sizes = new ArrayList<>();
        long left = total;
        double next = Math.max(1, canary);
        while (left > 0) {
            long size = Math.min(left, Math.max(1, (long) Math.ceil(next - 1e-9)));
            sizes.add((int) size);
            left -= size;
            next = Math.max(size + (factor > 1.0 ? 1 : 0), size * factor);
            if (factor == 1.0) {
                next = size;
            }
        }
        return sizes;
    }
}
