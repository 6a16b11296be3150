package net.otb.agent.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    /** Returns the largest value each time, and remembers the bounds it was asked for. */
    static final class Highest implements RandomGenerator {
        final List<Long> bounds = new ArrayList<>();

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long bound) {
            bounds.add(bound);
            return bound - 1;
        }
    }

    @Test
    void theCeilingDoublesUpToTheCapAndEachDelayIsDrawnBelowIt() {
        Highest random = new Highest();
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1_000), random);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            delays.add(backoff.nextDelayMillis());
        }
        assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1_000L, 1_000L, 1_000L);
        assertThat(random.bounds).containsExactly(101L, 201L, 401L, 801L, 1_001L, 1_001L, 1_001L);
    }

    @Test
    void fullJitterSpreadsDelaysOverTheWholeRangeBelowTheCeiling() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), new Random(42));
        HashSet<Long> distinct = new HashSet<>();
        long smallest = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 200; attempt++) {
            long ceiling = backoff.ceilingMillis(backoff.attempts());
            long delay = backoff.nextDelayMillis();
            assertThat(delay).isBetween(0L, ceiling);
            distinct.add(delay);
            smallest = Math.min(smallest, delay);
        }
        assertThat(distinct).hasSizeGreaterThan(150);
        assertThat(smallest).isLessThan(30_000 / 10);
    }

    @Test
    void resetStartsAgainFromTheInitialCeiling() {
        Highest random = new Highest();
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1_000), random);
        backoff.nextDelayMillis();
        backoff.nextDelayMillis();
        backoff.nextDelayMillis();
        backoff.reset();
        assertThat(backoff.nextDelayMillis()).isEqualTo(100L);
    }

    @Test
    void theCeilingNeverOverflowsAfterManyAttempts() {
        Backoff backoff = new Backoff(Duration.ofMillis(1), Duration.ofHours(1), new Random(1));
        for (int i = 0; i < 1_000; i++) {
            assertThat(backoff.nextDelayMillis()).isBetween(0L, Duration.ofHours(1).toMillis());
        }
        assertThat(backoff.ceilingMillis(500)).isEqualTo(Duration.ofHours(1).toMillis());
    }

    @Test
    void retryAfterIsAFloorWithUpToATenthMore() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1_000), new Random(3));
        for (int i = 0; i < 100; i++) {
            assertThat(backoff.atLeast(5_000)).isBetween(5_000L, 5_500L);
        }
    }
}
