package net.otb.server.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.Applied;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.server.catalog.Catalog;
import net.otb.server.device.Devices;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A push task finished by another transaction between the moment a reconcile read it open and the moment it marks it
 * sent: the campaign's seed {@code -1676176533901846756} (PostgreSQL), where a shipment moved the service to its new
 * box and closed the old box's task ({@code done}/{@code superseded}) while that box's reconcile was between the two,
 * and the reconcile then set it back to {@code doing}: a task stuck for ever, the old box being decommissioned. The
 * interleaving is forced here by holding the reconcile inside its transaction (in the engine's profile read, which
 * comes between the two) while the other transaction commits. The box's rollback report takes the same care: it
 * never reopens a task that a change superseded, whether before the report or while it is under way. Runs on each
 * store (H2 here, PostgreSQL in {@code store.postgres}).
 */
public abstract class TaskFinishedWhileSentContract {

    private static final String BOX = "OTB3-RACE01";
    private static final String SERVICE = "otb-race";

    private final Services services = new Services();
    private final Devices devices = spy(new Devices());
    private final PushTasks tasks = new PushTasks();
    private final AuditLog audit = new AuditLog();
    private Database database;

    protected abstract Database newDatabase() throws Exception;

    protected void afterStoreClosed() throws Exception {
    }

    @BeforeEach
    void open() throws Exception {
        database = newDatabase();
    }

    @AfterEach
    void close() throws Exception {
        database.close();
        afterStoreClosed();
    }

    private String row(String sql) {
        return database.inTransaction(tx -> tx.queryOne(sql, r -> r.getString(1), BOX).orElse(null));
    }

    @Test
    void aTaskFinishedWhileItsReconcileIsUnderWayIsNeitherReopenedNorPushed() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
        // the reconcile read the task open; it is held where it marks the task sent
        SqlBoxStore store = spy(new SqlBoxStore());
        doAnswer(call -> {
            inside.countDown();
            assertThat(finished.await(30, TimeUnit.SECONDS)).as("the other transaction committed").isTrue();
            return call.callRealMethod();
        }).when(store).markSent(any(), anyString(), anyString(), anyLong(), anyLong());
        database.inTransaction(tx -> {
            devices.register(tx, BOX, "v3");
            engine.createService(tx, new DesiredStateEngine.NewService(SERVICE, "acc", "starter.v1",
                    ServiceStatus.ACTIVE, "192.0.2.78", BOX), "test");
            return null;
        });
        AgentService rules = new AgentService(store, database, services, devices, tasks, audit, engine, List::of,
                new Metrics(), null, 30, Duration.ofSeconds(20), 3);
        rules.ownership("X", ChangeAnnouncer.NONE);
        long token = ((AgentService.Accepted) rules.hello(BOX, "01",
                new Hello(List.of(1), BOX, "v3", "fw-1", "test", null, List.of()))).token();
        long task = Long.parseLong(row("SELECT id FROM push_tasks WHERE device_id = ?"));
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ?")).isEqualTo("todo");

        CompletableFuture<AgentService.Reply> reconcile = CompletableFuture.supplyAsync(
                () -> rules.reconcile(BOX, token, AgentService.Trigger.HELLO));
        assertThat(inside.await(30, TimeUnit.SECONDS)).as("the reconcile read the task open").isTrue();
        database.inTransaction(tx -> {
            tasks.finish(tx, task, TaskState.DONE, "superseded", "the service moved to another box");
            return null;
        });
        finished.countDown();
        AgentService.Reply reply = reconcile.get(30, TimeUnit.SECONDS);

        assertThat(row("SELECT state || ' ' || outcome || ' ' || attempts FROM push_tasks WHERE device_id = ?"))
                .as("the finished task stays finished, never marked sent").isEqualTo("done superseded 0");
        assertThat(reply.messages()).as("nothing pushed for a finished task")
                .noneMatch(ProfilePush.class::isInstance);
        assertThat(reply.close()).as("the session goes on: the box's token is still its own").isFalse();
    }

    @Test
    void theConditionalStatementRefusesAFinishedTaskAndTakesAnOpenOne() {
        database.inTransaction(tx -> {
            devices.register(tx, BOX, "v3");
            new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit).createService(tx,
                    new DesiredStateEngine.NewService(SERVICE, "acc", "starter.v1", ServiceStatus.ACTIVE,
                            "192.0.2.78", BOX), "test");
            return null;
        });
        long task = Long.parseLong(row("SELECT id FROM push_tasks WHERE device_id = ?"));
        long token = Long.parseLong(row("SELECT owner_token FROM devices WHERE id = ?"));
        assertThat(database.<Boolean>inTransaction(tx -> tasks.markSent(tx, task, BOX, token))).isTrue();
        assertThat(database.<Boolean>inTransaction(tx -> tasks.markSent(tx, task, BOX, token)))
                .as("a task in doing is sent again (a re-send)").isTrue();
        database.inTransaction(tx -> {
            tasks.finish(tx, task, TaskState.DONE, "applied", null);
            return null;
        });
        assertThat(database.<Boolean>inTransaction(tx -> tasks.markSent(tx, task, BOX, token))).isFalse();
        assertThat(row("SELECT state || ' ' || attempts FROM push_tasks WHERE device_id = ?")).isEqualTo("done 2");
    }

    private AgentService rules(DesiredStateEngine engine) {
        return rules(engine, new SqlBoxStore());
    }

    private AgentService rules(DesiredStateEngine engine, SqlBoxStore store) {
        return new AgentService(store, database, services, devices, tasks, audit, engine, List::of, new Metrics(), null,
                30, Duration.ofSeconds(20), 3);
    }

    /** The box, its service at generation 1 pushed to it (the task {@code doing}); returns the session's token. */
    private long pushedGenerationOne(AgentService rules, DesiredStateEngine engine) {
        database.inTransaction(tx -> {
            devices.register(tx, BOX, "v3");
            engine.createService(tx, new DesiredStateEngine.NewService(SERVICE, "acc", "starter.v1",
                    ServiceStatus.ACTIVE, "192.0.2.78", BOX), "test");
            return null;
        });
        rules.ownership("X", ChangeAnnouncer.NONE);
        long token = ((AgentService.Accepted) rules.hello(BOX, "01",
                new Hello(List.of(1), BOX, "v3", "fw-1", "test", null, List.of()))).token();
        assertThat(rules.reconcile(BOX, token, AgentService.Trigger.HELLO).messages())
                .anyMatch(ProfilePush.class::isInstance);
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ? AND generation = 1")).isEqualTo("doing");
        return token;
    }

    @Test
    void aRollbackOfASupersededGenerationLeavesItsTaskClosed() {
        DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
        AgentService rules = rules(engine);
        long token = pushedGenerationOne(rules, engine);
        database.inTransaction(tx -> engine.setDesiredOffer(tx, SERVICE, "business.v1", "test"));

        AgentService.Reply reply = rules.applied(BOX, token, new Applied(1, Applied.Status.ROLLED_BACK,
                "confirm lost"));

        assertThat(row("SELECT state || ' ' || outcome || ' ' || rollbacks FROM push_tasks WHERE device_id = ? "
                + "AND generation = 1")).as("the superseded task is not reopened").isEqualTo("done superseded 0");
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ? AND generation = 2"))
                .as("the desired generation's task carries the push").isEqualTo("todo");
        assertThat(row("SELECT COALESCE(applied_service, 'none') FROM devices WHERE id = ?"))
                .as("the box runs its previous profile").isEqualTo("none");
        assertThat(reply.reconcile()).as("the desired generation is pushed next").isTrue();
    }

    @Test
    void aTaskSupersededWhileItsRollbackReportIsUnderWayIsNotReopened() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
        SqlBoxStore store = spy(new SqlBoxStore());
        AgentService rules = rules(engine, store);
        long token = pushedGenerationOne(rules, engine);
        long task = Long.parseLong(row("SELECT id FROM push_tasks WHERE device_id = ?"));
        // the rollback report read the task open; it is held where it writes the box's applied state
        doAnswer(call -> {
            inside.countDown();
            assertThat(finished.await(30, TimeUnit.SECONDS)).as("the other transaction committed").isTrue();
            return call.callRealMethod();
        }).when(store).recordApplied(any(), anyString(), isNull(), anyLong(), isNull(), anyLong());

        CompletableFuture<AgentService.Reply> report = CompletableFuture.supplyAsync(() -> rules.applied(BOX, token,
                new Applied(1, Applied.Status.ROLLED_BACK, "confirm lost")));
        assertThat(inside.await(30, TimeUnit.SECONDS)).as("the report read the task open").isTrue();
        database.inTransaction(tx -> {
            tasks.finish(tx, task, TaskState.DONE, "superseded", "the service moved to another box");
            return null;
        });
        finished.countDown();
        report.get(30, TimeUnit.SECONDS);

        assertThat(row("SELECT state || ' ' || outcome || ' ' || rollbacks FROM push_tasks WHERE device_id = ?"))
                .as("the finished task stays finished").isEqualTo("done superseded 0");
    }

    /**
     * The campaign's seed {@code -4360322129440561364} (PostgreSQL): the decommission was written, the box stopped
     * for good, and the write that recorded it delivered failed (PostgreSQL restarting): its task stayed
     * {@code doing} for ever. It is now recorded in the transaction that sends it, and a store failure after the
     * write has nothing left to lose.
     */
    @Test
    void aDecommissionIsRecordedToldInTheTransactionThatSendsIt() {
        DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
        AgentService rules = rules(engine);
        pushedGenerationOne(rules, engine);
        database.inTransaction(tx -> {
            devices.register(tx, "OTB3-RACE02", "v3");
            engine.bindService(tx, SERVICE, "OTB3-RACE02", "test");
            return null;
        });
        long token = ((AgentService.Accepted) rules.hello(BOX, "01",
                new Hello(List.of(1), BOX, "v3", "fw-1", "test", null, List.of()))).token();

        AgentService.Reply reply = rules.reconcile(BOX, token, AgentService.Trigger.HELLO);

        assertThat(reply.messages()).singleElement().isInstanceOf(net.otb.protocol.Decommission.class);
        assertThat(row("SELECT state FROM devices WHERE id = ?")).isEqualTo("decommissioned");
        assertThat(row("SELECT state || ' ' || outcome FROM push_tasks WHERE device_id = ? AND kind = 'decommission'"))
                .isEqualTo("done told");
        assertThat(row("SELECT COUNT(*) FROM push_tasks WHERE device_id = ? AND state IN ('todo', 'doing')"))
                .as("nothing of the old box is left open").isEqualTo("0");
    }
}
