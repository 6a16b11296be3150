package net.otb.simulator.bench;

import java.util.Arrays;

/**
 * Latency samples in nanoseconds, one slot per box, and their percentiles (nearest rank). Slots not filled
 * count as missing, never as zero.
 */
public final class Latencies {

    private final long[] nanos;

    public Latencies(int size) {
        nanos = new long[size];
        Arrays.fill(nanos, -1);
    }

    public void record(int slot, long value) {
        nanos[slot] = value;
    }

    /** The percentiles of the filled slots, in milliseconds. */
    public Summary summary() {
        long[] filled = Arrays.stream(nanos).filter(v -> v >= 0).sorted().toArray();
        if (filled.length == 0) {
            return new Summary(0, nanos.length, 0, 0, 0, 0);
        }
        return new Summary(filled.length, nanos.length - filled.length, millis(rank(filled, 0.50)),
                millis(rank(filled, 0.95)), millis(rank(filled, 0.99)), millis(filled[filled.length - 1]));
    }

    /** The percentiles of the filled slots {@code s} where {@code groups[s] == group}. */
    public Summary summary(int[] groups, int group) {
        long[] picked = java.util.stream.IntStream.range(0, nanos.length).filter(s -> groups[s] == group)
                .mapToLong(s -> nanos[s]).toArray();
        return new Latencies(picked).summary();
    }

    private Latencies(long[] values) {
        nanos = values;
    }

    private static long rank(long[] sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    /** Counts and percentiles in milliseconds. */
    public record Summary(int count, int missing, double p50Ms, double p95Ms, double p99Ms, double maxMs) {

        @Override
        public String toString() {
            return String.format("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (%d samples%s)", p50Ms, p95Ms,
                    p99Ms, maxMs, count, missing == 0 ? "" : ", " + missing + " missing");
        }
    }
}
