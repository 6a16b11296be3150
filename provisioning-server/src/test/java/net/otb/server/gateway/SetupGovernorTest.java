package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SetupGovernorTest {

    @Test
    void theBoundIsFullOnceItsSetUpsAreInFlightAndAForcedOneStillCounts() {
        HandClock clock = new HandClock();
        SetupGovernor governor = new SetupGovernor(clock, new Random(1), 4, 0.2, 20);
        List<SetupGovernor.Setup> admitted = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            assertThat(governor.full()).isFalse();
            admitted.add(governor.admit());
        }
        assertThat(admitted).doesNotContainNull();
        assertThat(governor.admit()).as("the fifth set-up in flight").isNull();
        assertThat(governor.full()).isTrue();
        // a box verified while the gateway stopped accepting goes on to its hello, and counts
        SetupGovernor.Setup forced = governor.force();
        assertThat(governor.inFlight()).isEqualTo(5);
        admitted.get(0).end(true);
        assertThat(governor.full()).as("4 still in flight").isTrue();
        forced.end(true);
        assertThat(governor.full()).isFalse();
        assertThat(governor.admit()).isNotNull();
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
    void theLimiterNoLongerTurnsAwayABoxForTheSetUpBound() throws Exception {
        HandClock clock = new HandClock();
        SetupGovernor setups = new SetupGovernor(clock, new Random(1), 2, 1.0, 1);
        ConnectionLimiter limiter = new ConnectionLimiter(1000, 1000, 1000, clock, new Random(1), setups);
        java.net.InetAddress source = java.net.InetAddress.getByName("127.0.0.1");
        setups.admit();
        setups.admit();
        assertThat(setups.full()).isTrue();
        // the gateway stops accepting instead: a connection that got in before is not made to pay a handshake for
        // nothing
        assertThat(limiter.opened(source).admitted()).isTrue();
    }
}
