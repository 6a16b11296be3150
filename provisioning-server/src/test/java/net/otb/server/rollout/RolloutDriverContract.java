package net.otb.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.IntStream;
import net.otb.server.catalog.Catalog;
import net.otb.server.desired.AuditEvent;
import net.otb.server.desired.AuditLog;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.desired.PushTask;
import net.otb.server.desired.PushTasks;
import net.otb.server.desired.TaskKind;
import net.otb.server.desired.TaskState;
import net.otb.server.device.Devices;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout rules on a real store without a socket: the driver ticked by hand on a clock the test moves, the boxes'
 * answers written as the gateway would write them (push tasks done or in error, the applied generation). A subclass
 * gives the database (H2 in {@link RolloutDriverTest}, PostgreSQL in {@code store.postgres}).
 */
public abstract class RolloutDriverContract {

    private static final int BOXES = 20;
    private static final RolloutDriver.Settings SETTINGS = new RolloutDriver.Settings(Duration.ofMillis(100),
            Duration.ofSeconds(10));

    /** A new, empty, migrated store on {@code clock}; closed by the contract after each test. */
    protected abstract Database newDatabase(Clock clock) throws Exception;

    /** Called after the contract closed the test's store. */
    protected void afterStoreClosed() throws Exception {
    }

    /** A clock that stands still until the test moves it. */
    static final class StepClock extends Clock {
        private volatile Instant now;
        private volatile java.util.concurrent.CyclicBarrier rendezvous;
        private final ThreadLocal<Boolean> met = ThreadLocal.withInitial(() -> false);

        /**
         * The next first reading of the time by each of {@code parties} threads named {@code create-…} waits for the
         * others: two creations that meet there have both read the store and written nothing yet.
         */
        void rendezvous(int parties) {
            rendezvous = new java.util.concurrent.CyclicBarrier(parties);
        }

        StepClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            java.util.concurrent.CyclicBarrier barrier = rendezvous;
            if (barrier != null && Thread.currentThread().getName().startsWith("create-") && !met.get()) {
                met.set(true);
                try {
                    barrier.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("the creations did not meet", e);
                }
            }
            return now;
        }
    }

    private final StepClock clock = new StepClock(Instant.parse("2026-06-01T10:00:00Z"));
    private final Services services = new Services();
    private final Devices devices = new Devices();
    private final PushTasks tasks = new PushTasks();
    private final AuditLog audit = new AuditLog();
    private final java.util.concurrent.atomic.AtomicReference<Catalog> catalog =
            new java.util.concurrent.atomic.AtomicReference<>(Catalog.defaults());
    private Database database;
    private DesiredStateEngine engine;
    private Rollouts rollouts;
    private RolloutDriver driver;

    @BeforeEach
    void open() throws Exception {
        database = newDatabase(clock);
        engine = new DesiredStateEngine(catalog::get, services, devices, tasks, audit);
        rollouts = new Rollouts(catalog::get, engine, audit);
        driver = driver("instance-a");
        database.inTransaction(tx -> {
            for (int i = 0; i < BOXES; i++) {
                devices.register(tx, box(i), "v3");
                engine.createService(tx, new DesiredStateEngine.NewService(service(i), "acc", "starter.v1",
                        ServiceStatus.ACTIVE, "10.9.0." + (i + 1), box(i)), "admin");
            }
            return null;
        });
    }

    @AfterEach
    void close() throws Exception {
        database.close();
        afterStoreClosed();
    }

    private RolloutDriver driver(String instance) {
        return new RolloutDriver(database, rollouts, services, engine, audit, new Metrics(), instance, SETTINGS);
    }

    private static String box(int i) {
        return String.format("OTB3-%06d", i);
    }


    private static String service(int i) {
        return String.format("svc-%03d", i);
    }

    private static List<String> all() {
        return IntStream.range(0, BOXES).mapToObj(RolloutDriverContract::service).toList();
    }

    private Rollout create(Integer canary, int failurePercent, int perMinute) {
        return database.inTransaction(tx -> rollouts.create(tx, new RolloutSpec("test", RolloutTarget.services(all()),
                "business.v1", canary, null, 2.0, perMinute, failurePercent, Duration.ofMinutes(10), null), "ops"));
    }

    private Rollout rollout(long id) {
        return database.inTransaction(tx -> rollouts.find(tx, id).orElseThrow());
    }

    private List<Rollouts.RolloutBox> boxes(long id, BoxState state) {
        return database.inTransaction(tx -> rollouts.boxes(tx, id, null, state, 1_000));
    }

    /** Every open push task of the rollout's boxes is answered: applied, or rejected for the boxes in {@code failing}. */
    private void answer(long id, List<String> failing) {
        database.inTransaction(tx -> {
            for (Rollouts.RolloutBox b : rollouts.boxes(tx, id, null, BoxState.PUSHED, 1_000)) {
                PushTask task = tasks.find(tx, b.deviceId(), b.serviceName(), TaskKind.PROFILE, b.generation()).orElseThrow();
                if (!task.open()) {
                    continue;
                }
                if (failing.contains(b.serviceName())) {
                    tasks.finish(tx, task.id(), TaskState.ERROR, "rejected", "HTB refused the rates");
                } else {
                    tasks.finish(tx, task.id(), TaskState.DONE, "applied", null);
                    devices.recordApplied(tx, b.deviceId(), b.serviceName(), b.generation(), "business.v1");
                }
            }
            return null;
        });
    }

    private String offerOf(int i) {
        return database.inTransaction(tx -> services.find(tx, service(i)).orElseThrow().offer());
    }

    private List<String> actions() {
        return database.inTransaction(tx -> audit.list(tx, null, null, 0, 10_000)).stream()
                .map(AuditEvent::action).filter(a -> a.startsWith("rollout.")).toList();
    }

    @Test
    void aCanaryThenWavesGrowingByTheFactorCompleteWhenEveryBoxApplies() {
        Rollout r = create(2, 10, 100_000);
        assertThat(database.inTransaction(tx -> rollouts.waves(tx, r.id())).stream().map(Wave::size))
                .containsExactly(2, 4, 8, 6);

        for (int i = 0; i < 40 && rollout(r.id()).state() != RolloutState.COMPLETED; i++) {
            driver.tick();
            answer(r.id(), List.of());
        }

        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.COMPLETED);
        assertThat(boxes(r.id(), BoxState.APPLIED)).hasSize(BOXES);
        assertThat(IntStream.range(0, BOXES).mapToObj(this::offerOf)).containsOnly("business.v1");
        assertThat(actions()).startsWith("rollout.created", "rollout.leased", "rollout.started", "rollout.waveStarted",
                "rollout.pushed").endsWith("rollout.waveCompleted", "rollout.completed");
        assertThat(actions().stream().filter(a -> a.equals("rollout.waveCompleted"))).hasSize(4);
    }

    @Test
    void aCompletedRolloutIsRevertedAsANewStagedRolloutBackWithTheSameWavesAndRules() {
        Rollout r = create(2, 10, 100_000);
        for (int i = 0; i < 40 && rollout(r.id()).state() != RolloutState.COMPLETED; i++) {
            driver.tick();
            answer(r.id(), List.of());
        }
        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.COMPLETED);
        // one service changed again since: the revert leaves it alone
        database.inTransaction(tx -> engine.setDesiredOffer(tx, service(0), "plus.v1", "ops"));

        Rollouts.Reverted reverted = database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops"));

        assertThat(reverted.reverted()).isEqualTo(BOXES - 1);
        assertThat(reverted.kept()).isEqualTo(1);
        assertThat(reverted.rollouts()).hasSize(1);
        Rollout back = rollout(reverted.rollouts().get(0));
        assertThat(back.offer()).isEqualTo("starter.v1");
        assertThat(back.name()).isEqualTo("revert of rollout " + r.id());
        assertThat(back.state()).isEqualTo(RolloutState.SCHEDULED);
        assertThat(List.of(back.canaryBoxes(), back.maxPerMinute(), back.abortFailurePercent()))
                .containsExactly(2, 100_000, 10);
        assertThat(back.growthFactor()).isEqualTo(2.0);
        // nothing changed yet: staged, it goes wave by wave
        assertThat(IntStream.range(1, BOXES).mapToObj(this::offerOf)).containsOnly("business.v1");
        assertThatThrownBy(() -> database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops")))
                .isInstanceOf(RolloutException.class).hasMessageContaining("reverted already");

        for (int i = 0; i < 40 && rollout(back.id()).state() != RolloutState.COMPLETED; i++) {
            driver.tick();
            database.inTransaction(tx -> {
                for (Rollouts.RolloutBox b : rollouts.boxes(tx, back.id(), null, BoxState.PUSHED, 1_000)) {
                    PushTask task = tasks.find(tx, b.deviceId(), b.serviceName(), TaskKind.PROFILE, b.generation())
                            .orElseThrow();
                    tasks.finish(tx, task.id(), TaskState.DONE, "applied", null);
                    devices.recordApplied(tx, b.deviceId(), b.serviceName(), b.generation(), "starter.v1");
                }
                return null;
            });
        }
        assertThat(rollout(back.id()).state()).isEqualTo(RolloutState.COMPLETED);
        assertThat(IntStream.range(1, BOXES).mapToObj(this::offerOf)).containsOnly("starter.v1");
        assertThat(offerOf(0)).isEqualTo("plus.v1");
    }

    @Test
    void aRevertAtTheRateIsAStagedRolloutBackAndOnlyAnImmediateOneChangesEveryBoxAtOnce() {
        Rollout r = create(4, 100, 100_000);
        driver.tick();
        answer(r.id(), List.of());
        database.inTransaction(tx -> rollouts.cancel(tx, r.id(), "ops"));

        Rollouts.Reverted staged = database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops", false));

        assertThat(staged.reverted()).isEqualTo(4);
        assertThat(staged.rollouts()).hasSize(1);
        Rollout back = rollout(staged.rollouts().get(0));
        assertThat(back.maxPerMinute()).isEqualTo(100_000);
        assertThat(back.state()).isEqualTo(RolloutState.SCHEDULED);
        // nothing at once: the boxes go back wave by wave when the driver drives the new rollout
        assertThat(IntStream.range(0, 4).mapToObj(this::offerOf)).containsOnly("business.v1");
        driver.tick();
        assertThat(boxes(back.id(), BoxState.PUSHED)).hasSize(4);
        assertThat(IntStream.range(0, 4).mapToObj(this::offerOf)).containsOnly("starter.v1");
    }

    @Test
    void failuresAboveTheThresholdAbortInTheCanaryAndLeaveTheOtherWavesUntouched() {
        Rollout r = create(5, 20, 100_000);
        driver.tick();
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(5);
        for (int i = 0; i < 10 && rollout(r.id()).state() == RolloutState.RUNNING; i++) {
            driver.tick();
            answer(r.id(), List.of(service(1), service(3)));
        }

        Rollout aborted = rollout(r.id());
        assertThat(aborted.state()).isEqualTo(RolloutState.ABORTED);
        assertThat(aborted.detail()).contains("wave 1: 2 of 5 boxes failed (40 %), more than 20 %");
        assertThat(boxes(r.id(), BoxState.PENDING)).hasSize(BOXES - 5)
                .allSatisfy(b -> assertThat(b.wave()).isGreaterThan(1));
        assertThat(IntStream.range(5, BOXES).mapToObj(this::offerOf)).containsOnly("starter.v1");
        assertThat(actions()).contains("rollout.aborted");
        // the two that failed run their old offer: their change is taken back, so no later push reaches them
        assertThat(List.of(offerOf(1), offerOf(3))).containsOnly("starter.v1");
        assertThat(List.of(offerOf(0), offerOf(2), offerOf(4))).containsOnly("business.v1");
        assertThat(boxes(r.id(), BoxState.FAILED)).hasSize(2)
                .allSatisfy(b -> assertThat(b.detail()).contains("the change was taken back (rollout aborted)"));

        assertThat(driver.tick()).isZero();
        assertThat(boxes(r.id(), BoxState.PENDING)).hasSize(BOXES - 5);
    }

    @Test
    void aWaveNotFinishedInTimeAborts() {
        Rollout r = create(3, 50, 100_000);
        driver.tick();
        driver.tick();
        clock.advance(Duration.ofMinutes(9));
        driver.tick();
        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.RUNNING);

        clock.advance(Duration.ofMinutes(2));
        driver.tick();

        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.ABORTED);
        assertThat(rollout(r.id()).detail()).startsWith("wave 1 not finished 600 s after it started");
    }

    @Test
    void anAbortTakesBackTheChangeOfEveryBoxThatHasNotAppliedItInTheSameTransaction() {
        Rollout r = create(3, 50, 100_000);
        driver.tick();
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(3);
        // only the first box answers; the two others are offline
        database.inTransaction(tx -> {
            Rollouts.RolloutBox b = rollouts.boxes(tx, r.id(), 1, BoxState.PUSHED, 1).get(0);
            PushTask task = tasks.find(tx, b.deviceId(), b.serviceName(), TaskKind.PROFILE, b.generation()).orElseThrow();
            tasks.finish(tx, task.id(), TaskState.DONE, "applied", null);
            devices.recordApplied(tx, b.deviceId(), b.serviceName(), b.generation(), "business.v1");
            return null;
        });
        clock.advance(Duration.ofMinutes(11));
        driver.tick();

        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.ABORTED);
        assertThat(boxes(r.id(), BoxState.APPLIED)).extracting(Rollouts.RolloutBox::serviceName).containsExactly(service(0));
        assertThat(boxes(r.id(), BoxState.WITHDRAWN)).extracting(Rollouts.RolloutBox::serviceName)
                .containsExactly(service(1), service(2));
        assertThat(offerOf(0)).isEqualTo("business.v1");
        for (int i = 1; i <= 2; i++) {
            String name = service(i);
            // a newer generation on the old offer: the box gets the offer it has when it reconnects
            var service = database.inTransaction(tx -> services.find(tx, name).orElseThrow());
            assertThat(service.offer()).isEqualTo("starter.v1");
            assertThat(service.desiredGeneration()).isEqualTo(3);
            List<PushTask> its = database.inTransaction(tx -> tasks.byService(tx, name, 10));
            assertThat(its).filteredOn(t -> t.generation() == 2).singleElement()
                    .satisfies(t -> assertThat(t.open()).isFalse());
            assertThat(its).filteredOn(t -> t.generation() == 3).singleElement()
                    .satisfies(t -> assertThat(t.open()).isTrue());
        }
        assertThat(actions()).containsSubsequence("rollout.withdrawn", "rollout.aborted");
        // nothing left to revert but the box that applied
        assertThat(database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops")).reverted()).isEqualTo(1);
    }

    private List<PushTask> errors() {
        return database.inTransaction(tx -> tasks.byState(tx, TaskState.ERROR, 100));
    }

    @Test
    void aPushErrorIsClosedAsSupersededOnceTheBoxAppliedALaterGeneration() {
        Rollout r = create(5, 20, 100_000);
        driver.tick();
        answer(r.id(), List.of(service(1), service(3)));
        driver.tick();
        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.ABORTED);
        assertThat(errors()).hasSize(2);

        // the box of service 1 applies the generation that took the change back; the box of service 3 is offline
        database.inTransaction(tx -> {
            devices.recordApplied(tx, box(1), service(1), 3, "starter.v1");
            return null;
        });
        driver.tick();

        assertThat(errors()).extracting(PushTask::serviceName).containsExactly(service(3));
        PushTask closed = database.inTransaction(tx -> tasks.find(tx, box(1), service(1), TaskKind.PROFILE, 2))
                .orElseThrow();
        assertThat(closed.state()).isEqualTo(TaskState.DONE);
        assertThat(closed.outcome()).isEqualTo("superseded");
    }

    @Test
    void theBoxesAnswersUpToTheEndAreReadWhenTheRolloutEndsSoNoneStaysPushed() {
        Rollout r = create(4, 100, 100_000);
        driver.tick();
        // the four boxes apply, and the operator cancels before the driver looked again
        answer(r.id(), List.of());
        database.inTransaction(tx -> rollouts.cancel(tx, r.id(), "ops"));

        assertThat(boxes(r.id(), BoxState.APPLIED)).hasSize(4);
        assertThat(boxes(r.id(), BoxState.PUSHED)).isEmpty();
        assertThat(IntStream.range(0, 4).mapToObj(this::offerOf)).containsOnly("business.v1");
    }

    @Test
    void aCancelTakesBackTheChangeOfTheBoxesPushedAndNotApplied() {
        Rollout r = create(4, 100, 100_000);
        driver.tick();
        database.inTransaction(tx -> rollouts.cancel(tx, r.id(), "ops"));

        assertThat(boxes(r.id(), BoxState.WITHDRAWN)).hasSize(4);
        assertThat(IntStream.range(0, BOXES).mapToObj(this::offerOf)).containsOnly("starter.v1");
        assertThat(database.inTransaction(tx -> rollouts.waves(tx, r.id())).stream().map(Wave::state))
                .containsExactly("cancelled", "cancelled", "cancelled");
    }

    @Test
    void theRateIsATokenBucketThatTheDriverDrawsFrom() {
        Rollout r = create(10, 50, 120);
        driver.tick();
        driver.tick();
        driver.tick();
        // a new rollout holds a second's share: 2 boxes at once, then 2 a second
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(2);

        clock.advance(Duration.ofMillis(1_001));
        driver.tick();
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(4);
    }

    @Test
    void ninetyAMinuteIsNinetyBoxesInAMinuteOfTicks() {
        database.inTransaction(tx -> {
            for (int i = BOXES; i < BOXES + 100; i++) {
                devices.register(tx, box(i), "v3");
                engine.createService(tx, new DesiredStateEngine.NewService(service(i), "acc", "starter.v1",
                        ServiceStatus.ACTIVE, "10.9.2." + (i - BOXES + 1), box(i)), "admin");
            }
            return null;
        });
        List<String> names = IntStream.range(0, BOXES + 100).mapToObj(RolloutDriverContract::service).toList();
        Rollout r = database.inTransaction(tx -> rollouts.create(tx, new RolloutSpec("rate", RolloutTarget.services(names),
                "business.v1", names.size(), null, 2.0, 90, 50, Duration.ofMinutes(10), null), "ops"));
        Instant start = clock.instant();

        // a tick every 200 ms for a minute of the test's clock
        for (int t = 0; t < 300; t++) {
            driver.tick();
            clock.advance(Duration.ofMillis(200));
        }

        List<Rollouts.RolloutBox> pushed = boxes(r.id(), BoxState.PUSHED);
        // floor(90/60) = 1 a second gave 60 before
        assertThat(pushed).hasSize(90);
        assertThat(pushed).allSatisfy(b -> assertThat(b.pushedAt()).isBefore(start.plusSeconds(60)));
        for (Rollouts.RolloutBox b : pushed) {
            long inASecond = pushed.stream().filter(o -> !o.pushedAt().isBefore(b.pushedAt())
                    && o.pushedAt().isBefore(b.pushedAt().plusSeconds(1))).count();
            assertThat(inASecond).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void anotherInstanceWaitsForTheLeaseToExpireThenTakesTheRolloutOver() {
        Rollout r = create(10, 50, 100_000);
        RolloutDriver other = driver("instance-b");
        assertThat(driver.tick()).isEqualTo(1);
        assertThat(other.tick()).isZero();
        assertThat(rollout(r.id()).leaseOwner()).isEqualTo("instance-a");

        clock.advance(SETTINGS.lease().plusMillis(1));
        assertThat(other.tick()).isEqualTo(1);
        assertThat(rollout(r.id()).leaseOwner()).isEqualTo("instance-b");
        assertThat(driver.tick()).isZero();

        other.close();
        assertThat(rollout(r.id()).leaseOwner()).isNull();
        assertThat(driver.tick()).isEqualTo(1);
    }

    @Test
    void aPausedRolloutPushesNothingUntilResumed() {
        Rollout r = create(10, 50, 120);
        driver.tick();
        database.inTransaction(tx -> rollouts.pause(tx, r.id(), "ops"));
        clock.advance(Duration.ofSeconds(2));
        driver.tick();
        driver.tick();
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(2);
        assertThatThrownBy(() -> database.inTransaction(tx -> rollouts.pause(tx, r.id(), "ops")))
                .isInstanceOf(RolloutException.class).hasMessageContaining("it is paused");

        database.inTransaction(tx -> rollouts.resume(tx, r.id(), "ops"));
        driver.tick();

        // the bucket filled while paused, up to its capacity (120/60 + 1 = 3 boxes)
        assertThat(boxes(r.id(), BoxState.PUSHED)).hasSize(5);
        assertThat(actions()).contains("rollout.paused", "rollout.resumed");
    }

    @Test
    void cancelStopsTheRolloutAndRevertPutsOnlyTheChangedBoxesBack() {
        Rollout r = create(4, 100, 100_000);
        driver.tick();
        driver.tick();
        answer(r.id(), List.of());
        assertThatThrownBy(() -> database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops")))
                .isInstanceOf(RolloutException.class).hasMessageContaining("cannot revert");
        // another change of one service after the rollout's: the revert must leave it alone
        database.inTransaction(tx -> engine.setDesiredOffer(tx, service(0), "plus.v1", "ops"));

        database.inTransaction(tx -> rollouts.cancel(tx, r.id(), "ops"));
        driver.tick();
        assertThat(boxes(r.id(), BoxState.PENDING)).hasSize(BOXES - 4);
        Rollouts.Reverted reverted = database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops"));

        assertThat(reverted.reverted()).isEqualTo(3);
        assertThat(reverted.kept()).isEqualTo(1);
        assertThat(offerOf(0)).isEqualTo("plus.v1");
        assertThat(IntStream.range(1, BOXES).mapToObj(this::offerOf)).containsOnly("starter.v1");
        assertThatThrownBy(() -> database.inTransaction(tx -> rollouts.revert(tx, r.id(), "ops")))
                .isInstanceOf(RolloutException.class).hasMessageContaining("reverted already");
    }

    @Test
    void theBoxesOfEachRolloutPerStateAreInTheMetrics() {
        Metrics metrics = new Metrics();
        RolloutDriver measured = new RolloutDriver(database, rollouts, services, engine, audit, metrics, "instance-m",
                SETTINGS);
        Rollout r = create(5, 50, 100_000);
        measured.tick();

        assertThat(metrics.render()).contains("# TYPE otb_rollout_boxes gauge",
                "otb_rollout_boxes{rollout=\"" + r.id() + "\",state=\"pushed\"} 5",
                "otb_rollout_boxes{rollout=\"" + r.id() + "\",state=\"pending\"} " + (BOXES - 5));
    }

    @Test
    void rolloutsByStatePushErrorsAndServicesOutOfSyncAreGaugesToAlertOn() {
        Metrics metrics = new Metrics();
        RolloutDriver measured = new RolloutDriver(database, rollouts, services, engine, audit, metrics, "instance-m",
                SETTINGS);
        Rollout r = create(5, 20, 100_000);
        measured.tick();
        answer(r.id(), List.of(service(1), service(3)));
        clock.advance(RolloutDriver.FLEET_GAUGES_EVERY);
        measured.tick();
        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.ABORTED);

        String text = metrics.render();
        assertThat(text).contains("# TYPE otb_rollouts gauge", "otb_rollouts{state=\"aborted\"} 1",
                "otb_rollouts{state=\"running\"} 0", "otb_push_tasks_error 2");
        // no box ever reported in this store but the three that applied: every other bound service is out of sync
        assertThat(text).contains("otb_services_out_of_sync " + (BOXES - 3));
    }

    @Test
    void theCanaryAndEveryWaveSampleEachModelInProportion() {
        database.inTransaction(tx -> {
            for (int i = 0; i < 6; i++) {
                devices.register(tx, "OTB2B-70000" + i, "v2b");
                // named to come first: in name order the canary would be v2b boxes only
                engine.createService(tx, new DesiredStateEngine.NewService("aaa-" + i, "acc", "starter.v1",
                        ServiceStatus.ACTIVE, "10.9.3." + (i + 1), "OTB2B-70000" + i), "admin");
            }
            return null;
        });
        Rollout r = database.inTransaction(tx -> rollouts.create(tx, new RolloutSpec(null,
                RolloutTarget.offer("starter.v1"), "business.v1", 4, null, 2.0, 600, 10, Duration.ofMinutes(5), null),
                "ops"));

        List<Rollouts.RolloutBox> canary = database.inTransaction(tx -> rollouts.boxes(tx, r.id(), 1, null, 100));
        assertThat(canary).extracting(b -> b.deviceId().substring(0, 5)).containsOnly("OTB2B", "OTB3-")
                .contains("OTB2B", "OTB3-");
        for (Wave w : database.inTransaction(tx -> rollouts.waves(tx, r.id()))) {
            if (w.size() >= 8) {
                List<Rollouts.RolloutBox> in = database.inTransaction(tx -> rollouts.boxes(tx, r.id(), w.wave(), null, 100));
                assertThat(in).as("wave %d", w.wave()).anyMatch(b -> b.deviceId().startsWith("OTB2B"))
                        .anyMatch(b -> b.deviceId().startsWith("OTB3-"));
            }
        }
    }

    @Test
    void anOfferOrAModelTargetTakesTheActiveServicesBoundToABoxOnItOnly() {
        database.inTransaction(tx -> {
            for (int i = 0; i < 3; i++) {
                devices.register(tx, "OTB2B-90000" + i, "v2b");
                engine.createService(tx, new DesiredStateEngine.NewService("old-" + i, "acc", "plus.v1",
                        i == 2 ? ServiceStatus.SUSPENDED : ServiceStatus.ACTIVE, "10.9.1." + (i + 1), "OTB2B-90000" + i),
                        "admin");
            }
            engine.createService(tx, new DesiredStateEngine.NewService("old-nobox", "acc", "plus.v1",
                    ServiceStatus.ACTIVE, "10.9.1.9", null), "admin");
            return null;
        });

        Rollout byOffer = database.inTransaction(tx -> rollouts.create(tx, new RolloutSpec(null,
                RolloutTarget.offer("plus.v1"), "starter.v1", 1, null, 2.0, 600, 10, Duration.ofMinutes(5), null), "ops"));
        assertThat(byOffer.boxes()).isEqualTo(2);
        assertThat(byOffer.detail()).startsWith("2 services of the target left out");
        assertThat(boxes(byOffer.id(), BoxState.PENDING)).extracting(Rollouts.RolloutBox::serviceName)
                .containsExactly("old-0", "old-1");

        Rollout byModel = database.inTransaction(tx -> rollouts.create(tx, new RolloutSpec(null,
                RolloutTarget.model("v3"), "business.v1", null, 25, 2.0, 600, 10, Duration.ofMinutes(5), null), "ops"));
        assertThat(byModel.boxes()).isEqualTo(BOXES);
        assertThat(database.inTransaction(tx -> rollouts.waves(tx, byModel.id())).stream().map(Wave::size))
                .containsExactly(5, 10, 5);
    }

    @Test
    void anOfferThatLeftTheCatalogAbortsTheRolloutInsteadOfRetryingForever() {
        Rollout r = create(2, 10, 60);
        driver.tick();
        Catalog defaults = Catalog.defaults();
        catalog.set(new Catalog(defaults.offers().stream().filter(o -> !o.name().equals("business.v1")).toList(),
                defaults.hardware(), defaults.models()));
        clock.advance(Duration.ofSeconds(2));
        driver.tick();

        assertThat(rollout(r.id()).state()).isEqualTo(RolloutState.ABORTED);
        assertThat(rollout(r.id()).detail()).contains("the offer change is refused", "business.v1");
        // the box pushed before the offer left is put back on the offer it had
        assertThat(boxes(r.id(), BoxState.WITHDRAWN)).hasSize(1);
    }

    @Test
    void twoRolloutsCreatedAtTheSameMomentNeverHoldTheSameService() throws Exception {
        // both creations read the store (no open rollout yet) before either writes: only the database can tell them apart
        clock.rendezvous(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, new java.util
                .concurrent.ThreadFactory() {
            private final java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                return new Thread(r, "create-" + n.incrementAndGet());
            }
        });
        try {
            List<java.util.concurrent.Future<Object>> both = pool.invokeAll(List.of(this::createOrRefusal,
                    this::createOrRefusal), 30, java.util.concurrent.TimeUnit.SECONDS);
            List<Object> results = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<Object> f : both) {
                results.add(f.get());
            }
            assertThat(results).filteredOn(Rollout.class::isInstance).singleElement()
                    .satisfies(r -> assertThat(((Rollout) r).boxes()).isEqualTo(BOXES));
            assertThat(results).filteredOn(RolloutException.class::isInstance).singleElement()
                    .satisfies(e -> assertThat(((RolloutException) e).reason())
                            .isEqualTo(RolloutException.Reason.EMPTY_TARGET));
        } finally {
            pool.shutdownNow();
        }
        long held = database.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM rollout_boxes b JOIN rollouts r "
                + "ON r.id = b.rollout_id WHERE r.state = 'scheduled'"));
        assertThat(held).isEqualTo(BOXES);
    }

    private Object createOrRefusal() {
        try {
            return create(2, 10, 100_000);
        } catch (RolloutException e) {
            return e;
        }
    }

    @Test
    void aServiceIsFreeForAnotherRolloutOnceItsRolloutEnded() {
        Rollout first = create(2, 10, 100_000);
        database.inTransaction(tx -> rollouts.cancel(tx, first.id(), "ops"));
        assertThat(create(2, 10, 100_000).boxes()).isEqualTo(BOXES);
    }

    @Test
    void aTargetWithNothingToChangeIsRefused() {
        create(2, 10, 100_000);
        assertThatThrownBy(() -> create(2, 10, 100_000)).isInstanceOf(RolloutException.class)
                .hasMessageContaining("in no other open rollout");
    }
}
