package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SetupGovernorTest {

    @Test
    void setUpsBeyondTheBoundAreRefusedAndToldToComeBackSpreadAtTheMeasuredRate() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 4, 0.2, 20);
        List<SetupGovernor.Setup> admitted = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            admitted.add(governor.admit());
        }
        assertThat(admitted).doesNotContainNull();
        assertThat(governor.admit()).as("the fifth set-up in flight").isNull();

        // 4 in flight at 20 set-ups per second take 0.2 s: refused boxes come back within 1 s
        for (int i = 0; i < 50; i++) {
            assertThat(governor.retryAfterSeconds()).isEqualTo(1);
        }
        // one ends (its hello committed): a slot is free again
        admitted.get(0).end(true);
        assertThat(governor.admit()).isNotNull();
    }

    @Test
    void refusedBoxesAreSpreadOverTwiceTheTimeTheSetUpsInFlightTakeAtTheMeasuredRate() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 400, 2.0, 100);
        for (int i = 0; i < 400; i++) {
            governor.admit();
        }
        // 400 in flight at 100 per second: 4 s to drain, so within 8 s, every second of them used
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (int i = 0; i < 2000; i++) {
            int retry = governor.retryAfterSeconds();
            assertThat(retry).isBetween(1, 8);
            seen.add(retry);
        }
        assertThat(seen).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void theRateFollowsWhatABusyServerCompletesWhenItsSetUpsAreSlowAndTheBoundWithIt() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 4, 1.0, 100);
        assertThat(governor.limit()).isEqualTo(100);
        // the bound full, boxes turned away, each set-up taking more than half the target (a server at capacity)
        List<SetupGovernor.Setup> hanging = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            hanging.add(governor.admit());
        }
        assertThat(governor.admit()).as("the bound is full").isNull();
        clock.advance(600);
        for (SetupGovernor.Setup setup : hanging) {
            setup.end(true);
        }
        clock.advance(500);
        double after = governor.ratePerSecond();
        // 100 completions over the 1.1 s window, no probe: 0.7 x 100 + 0.3 x 90.9
        assertThat(after).isBetween(96.0, 99.0);
        assertThat(governor.limit()).isEqualTo((int) Math.round(after));
    }

    @Test
    void boxesTurnedAwayWhileTheAdmittedOnesAreQuickDoubleTheRate() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 4, 2.0, 10);
        // a busy second in which 100 set-ups complete in 10 ms each while others are turned away
        for (int i = 0; i < 19; i++) {
            assertThat(governor.admit()).isNotNull();
        }
        for (int i = 0; i < 100; i++) {
            SetupGovernor.Setup setup = governor.admit();
            assertThat(setup).isNotNull();
            assertThat(governor.admit()).as("the bound is full").isNull();
            clock.advance(10);
            setup.end(true);
        }
        clock.advance(1);
        assertThat(governor.ratePerSecond()).as("max(10, ~100) x 2").isBetween(190.0, 200.0);
    }

    @Test
    void aQuietSecondRaisesTheEstimateOnlyToWhatWasShownAndAClosedSetUpDoesNotCount() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 1000, 2.0, 10);
        for (int i = 0; i < 50; i++) {
            governor.admit().end(true);
        }
        for (int i = 0; i < 70; i++) {
            // connections that closed before their hello: the server may not have done their work
            governor.admit().end(false);
        }
        clock.advance(1000);
        assertThat(governor.ratePerSecond()).isEqualTo(50.0);
        // an idle second does not lower it
        clock.advance(1000);
        assertThat(governor.ratePerSecond()).isEqualTo(50.0);
        assertThat(governor.inFlight()).isZero();
    }

    @Test
    void endingASetUpTwiceFreesOneSlot() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 2, 1.0, 1);
        SetupGovernor.Setup one = governor.admit();
        governor.admit();
        one.end(true);
        one.end(false);
        assertThat(governor.inFlight()).isEqualTo(1);
    }

    @Test
    void theLimiterSaysBusyWhenTheSetUpBoundIsFull() throws Exception {
        HandClock clock = new HandClock();
        ConnectionLimiter limiter = new ConnectionLimiter(1000, 1000, 1000, clock, new Random(1),
                new SetupGovernor(clock, new Random(1), 2, 1.0, 1));
        java.net.InetAddress source = java.net.InetAddress.getByName("127.0.0.1");
        assertThat(limiter.opened(source).admitted()).isTrue();
        assertThat(limiter.opened(source).admitted()).isTrue();
        ConnectionLimiter.Admission busy = limiter.opened(source);
        assertThat(busy.admitted()).isFalse();
        assertThat(busy.reason()).isEqualTo("busy");
        assertThat(busy.retryAfterSeconds()).isBetween(1, SetupGovernor.MAX_RETRY_SECONDS);
    }
}
