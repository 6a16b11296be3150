package net.otb.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rate's bucket over a minute of simulated time: the asked rate is the delivered rate. */
class TokenBucketTest {

    /** Takes every token offered at each tick of {@code tick} during one minute; the instants of the boxes changed. */
    private static List<Instant> oneMinute(int perMinute, Duration tick) {
        Instant start = Instant.parse("2026-06-01T10:00:00Z");
        List<Instant> changed = new ArrayList<>();
        TokenBucket bucket = TokenBucket.start(perMinute, start);
        for (Instant now = start; now.isBefore(start.plusSeconds(60)); now = now.plus(tick)) {
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            bucket = bucket.refill(perMinute, clock.instant());
            long n = bucket.available();
            bucket = bucket.take(n);
            for (long i = 0; i < n; i++) {
                changed.add(clock.instant());
            }
        }
        return changed;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 59, 60, 61, 90, 120, 600, 1_000, 3_600})
    void aMinuteDeliversTheAskedRateAndNoSecondMoreThanItsShare(int perMinute) {
        for (Duration tick : List.of(Duration.ofMillis(100), Duration.ofSeconds(1))) {
            List<Instant> changed = oneMinute(perMinute, tick);

            // the asked rate, to within a second's share (the first second's boxes go at once; the tokens that came
            // after the last tick wait for the next); rounded down to whole boxes a second, 90 a minute gave 60
            long share = (long) Math.ceil(perMinute / 60.0);
            assertThat((long) changed.size()).as("%d a minute, ticked every %s", perMinute, tick)
                    .isBetween(perMinute - share, perMinute + share);
            Instant first = changed.get(0);
            // the first second holds the bucket's initial share and that second's refill
            assertThat(changed.stream().filter(t -> t.isBefore(first.plusSeconds(1))).count())
                    .isLessThanOrEqualTo(2 * share);
            for (Instant from : changed.stream().filter(t -> !t.isBefore(first.plusSeconds(1))).toList()) {
                long inASecond = changed.stream().filter(t -> !t.isBefore(from) && t.isBefore(from.plusSeconds(1)))
                        .count();
                assertThat(inASecond).as("boxes in the second from %s at %d a minute", from, perMinute)
                        .isLessThanOrEqualTo(share);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {90})
    void ninetyAMinuteIsOneBoxEveryTwoThirdsOfASecond(int perMinute) {
        List<Instant> changed = oneMinute(perMinute, Duration.ofMillis(100));
        // rounded down to one a second, the old quota gave 60
        assertThat(changed).hasSize(90);
        assertThat(Duration.between(changed.get(0), changed.get(1))).isEqualTo(Duration.ofMillis(700));
    }
}
