package net.otb.simulator.hardware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SimulatedBoxTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC);
    private static final BandwidthProfile STARTER =
            new BandwidthProfile(1, "otb-demo-1", "starter.v1", 500_000, 500_000, "203.0.113.10");
    private static final BandwidthProfile BUSINESS =
            new BandwidthProfile(2, "otb-demo-1", "business.v1", 1_000_000, 1_000_000, "203.0.113.10");

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final BoxListener listener = new BoxListener() {
        @Override
        public void applied(SimulatedBox box, BandwidthProfile profile) {
            events.add("applied " + profile.generation());
        }

        @Override
        public void rejected(SimulatedBox box, BandwidthProfile profile, String reason) {
            events.add("rejected " + profile.generation() + ": " + reason);
        }

        @Override
        public java.util.concurrent.CompletionStage<?> crashed(SimulatedBox box) {
            events.add("crashed");
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void cleared(SimulatedBox box) {
            events.add("cleared");
        }
    };

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private SimulatedBox box(BoxModel model, Faults faults) {
        return new SimulatedBox(model.serialPrefix() + "-000001", model, "1.2.3", scheduler, CLOCK, faults, listener);
    }

    private static void await(CompletableFuture<Void> stage) throws Exception {
        stage.get(5, TimeUnit.SECONDS);
    }

    @Test
    void applySetsTheShaperRatesAndTheTunnelCarriesTheServiceIp() throws Exception {
        SimulatedBox box = box(BoxModel.V3, new Faults());

        await(box.apply(STARTER).toCompletableFuture());

        DeviceDescription description = box.describe();
        assertThat(description.model()).isEqualTo("v3");
        assertThat(description.shapes(STARTER)).isTrue();
        assertThat(description.details()).containsEntry("tunnel", "up 203.0.113.10");
        assertThat(box.effectiveDownKbps()).isEqualTo(500_000);
        assertThat(box.deviceLimited()).isFalse();
        assertThat(box.lastChange()).isEqualTo(CLOCK.instant());
        assertThat(events).containsExactly("applied 1");
    }

    @Test
    void aProfileAboveTheNominalCapacityIsAppliedAndTheBoxIsDeviceLimited() throws Exception {
        SimulatedBox box = box(BoxModel.V2B, new Faults());

        await(box.apply(BUSINESS).toCompletableFuture());

        assertThat(box.shaperDownKbps()).isEqualTo(1_000_000);
        assertThat(box.effectiveDownKbps()).isEqualTo(BoxModel.V2B.nominalKbps());
        assertThat(box.deviceLimited()).isTrue();
        assertThat(box.describe().details()).containsEntry("deviceLimited", "true");
    }

    @Test
    void aCutWanLineLowersTheEffectiveRateAndTheTunnelDiesWithTheLastLine() throws Exception {
        SimulatedBox box = box(BoxModel.V2C, new Faults());
        await(box.apply(BUSINESS).toCompletableFuture());
        assertThat(box.effectiveDownKbps()).isEqualTo(600_000);

        box.cutWan(0);
        box.cutWan(1);
        assertThat(box.effectiveDownKbps()).isEqualTo(300_000);
        assertThat(box.tunnelUp()).isTrue();

        box.cutWan(2);
        assertThat(box.tunnelUp()).isFalse();
        assertThat(box.effectiveDownKbps()).isZero();
        assertThat(box.describe().details()).containsEntry("tunnel", "down");

        box.restoreWan(2);
        assertThat(box.effectiveDownKbps()).isEqualTo(300_000);
    }

    @Test
    void anInjectedFailureRejectsTheApplyAndKeepsThePreviousRates() throws Exception {
        Faults faults = new Faults();
        SimulatedBox box = box(BoxModel.V3, faults);
        await(box.apply(STARTER).toCompletableFuture());

        faults.rejectNextApplies(1, "HTB class limit exceeded");
        CompletableFuture<Void> failed = box.apply(BUSINESS).toCompletableFuture();

        assertThatThrownBy(() -> await(failed)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(BackendException.class).hasMessage("HTB class limit exceeded");
        assertThat(box.inForce()).isEqualTo(STARTER);
        assertThat(box.shaperDownKbps()).isEqualTo(500_000);

        await(box.apply(BUSINESS).toCompletableFuture());
        assertThat(box.inForce()).isEqualTo(BUSINESS);
        assertThat(events).containsExactly("applied 1", "rejected 2: HTB class limit exceeded", "applied 2");
    }

    @Test
    void aSlowApplyCompletesOnlyAfterTheInjectedDelay() throws Exception {
        Faults faults = new Faults().slowApplies(Duration.ofMillis(300));
        SimulatedBox box = box(BoxModel.V3, faults);

        long start = System.nanoTime();
        await(box.apply(STARTER).toCompletableFuture());

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(box.inForce()).isEqualTo(STARTER);
    }

    @Test
    void aCrashDuringAnApplyKeepsTheOldShapingAndTellsTheFleetToStopTheAgent() throws Exception {
        Faults faults = new Faults();
        SimulatedBox box = box(BoxModel.V2C, faults);
        await(box.apply(STARTER).toCompletableFuture());

        faults.crashOnNextApply();
        CompletableFuture<Void> crashed = box.apply(BUSINESS).toCompletableFuture();

        assertThatThrownBy(() -> await(crashed)).cause().isInstanceOf(BackendException.class)
                .hasMessageContaining("lost power");
        assertThat(box.isPowered()).isFalse();
        assertThat(box.inForce()).isEqualTo(STARTER);
        assertThat(events).containsExactly("applied 1", "crashed");

        box.powerOn();
        await(box.apply(BUSINESS).toCompletableFuture());
        assertThat(box.inForce()).isEqualTo(BUSINESS);
    }

    @Test
    void clearRemovesAllShaping() throws Exception {
        SimulatedBox box = box(BoxModel.V3, new Faults());
        await(box.apply(STARTER).toCompletableFuture());

        await(box.clear().toCompletableFuture());

        assertThat(box.inForce()).isNull();
        assertThat(box.shaperDownKbps()).isZero();
        assertThat(events).containsExactly("applied 1", "cleared");
    }

    @Test
    void anApplyOnAStoppedSchedulerFailsInsteadOfHanging() {
        SimulatedBox box = box(BoxModel.V3, new Faults());
        scheduler.shutdownNow();

        CompletableFuture<Void> stage = box.apply(STARTER).toCompletableFuture();

        assertThat(stage).isCompletedExceptionally();
    }

    @Test
    void modelsParseFromTheirWireNames() {
        assertThat(BoxModel.parse("V2B")).isEqualTo(BoxModel.V2B);
        assertThat(BoxModel.parse("v3").nominalKbps()).isEqualTo(2_000_000);
        assertThatThrownBy(() -> BoxModel.parse("v4")).hasMessageContaining("v2b, v2c or v3");
    }
}
