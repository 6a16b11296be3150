package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConnectionLimiterTest {

    @Test
    void aSourceOverItsBurstIsToldToComeBackAndIsAdmittedOnceTheBucketRefills() throws Exception {
        HandClock clock = new HandClock();
        ConnectionLimiter limiter = new ConnectionLimiter(10, 2, 100, clock, new Random(1));
        InetAddress source = InetAddress.getByName("127.0.0.1");

        assertThat(limiter.opened(source).admitted()).isTrue();
        assertThat(limiter.opened(source).admitted()).isTrue();
        ConnectionLimiter.Admission refused = limiter.opened(source);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.reason()).isEqualTo("rate");
        assertThat(refused.retryAfterSeconds()).isBetween(1, 10);

        clock.now = clock.now.plus(Duration.ofMillis(100));
        assertThat(limiter.opened(source).admitted()).isTrue();
    }

    @Test
    void aClockThatStepsBackDoesNotLockASourceOut() throws Exception {
        HandClock clock = new HandClock();
        ConnectionLimiter limiter = new ConnectionLimiter(10, 5, 100, clock, new Random(1));
        InetAddress source = InetAddress.getByName("127.0.0.1");
        assertThat(limiter.opened(source).admitted()).isTrue();

        clock.now = clock.now.minus(Duration.ofDays(700));

        assertThat(limiter.opened(source).admitted()).isTrue();
        assertThat(limiter.opened(source).admitted()).isTrue();
    }

    @Test
    void theGlobalCapRefusesWhateverTheSource() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(1_000, 1_000, 2, new HandClock(), new Random(1));
        assertThat(limiter.opened(InetAddress.getByName("127.0.0.1")).admitted()).isTrue();
        assertThat(limiter.opened(InetAddress.getByName("127.0.0.2")).admitted()).isTrue();
        ConnectionLimiter.Admission refused = limiter.opened(InetAddress.getByName("127.0.0.3"));
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.reason()).isEqualTo("cap");

        limiter.closed();
        limiter.closed();
        limiter.closed();
        assertThat(limiter.opened(InetAddress.getByName("127.0.0.3")).admitted()).isTrue();
    }
}
