package net.otb.simulator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatenciesTest {

    @Test
    void percentilesUseTheNearestRankAndIgnoreMissingSlots() {
        Latencies latencies = new Latencies(101);
        for (int i = 0; i < 100; i++) {
            latencies.record(i, (i + 1) * 1_000_000L);
        }

        Latencies.Summary summary = latencies.summary();

        assertThat(summary.count()).isEqualTo(100);
        assertThat(summary.missing()).isEqualTo(1);
        assertThat(summary.p50Ms()).isEqualTo(50.0);
        assertThat(summary.p95Ms()).isEqualTo(95.0);
        assertThat(summary.p99Ms()).isEqualTo(99.0);
        assertThat(summary.maxMs()).isEqualTo(100.0);
    }

    @Test
    void noSampleGivesZerosNotAnError() {
        assertThat(new Latencies(3).summary().count()).isZero();
    }
}
