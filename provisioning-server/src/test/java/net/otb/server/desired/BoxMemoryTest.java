package net.otb.server.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doCallRealMethod;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.Confirm;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.server.catalog.Catalog;
import net.otb.server.device.Devices;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import net.otb.server.store.StoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The box's state in memory never runs ahead of the store: a transaction that fails after the rules changed the
 * state in memory drops it, and the next message is decided on what the store holds; a change made by another writer
 * is seen once the box is forgotten; a hello that changes nothing writes nothing.
 */
class BoxMemoryTest {

    private static final String BOX = "OTB3-MEM1";
    private static final String SERVICE = "otb-mem";

    @TempDir
    Path dir;

    private final Services services = new Services();
    private final Devices devices = new Devices();
    private final PushTasks tasks = new PushTasks();
    private final AuditLog audit = new AuditLog();
    private final DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
    private final SqlBoxStore store = spy(new SqlBoxStore());
    private Database database;
    private AgentService rules;

    @BeforeEach
    void open() {
        database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), new SecureRandom());
        database.inTransaction(tx -> {
            devices.register(tx, BOX, "v3");
            engine.createService(tx, new DesiredStateEngine.NewService(SERVICE, "acc", "starter.v1",
                    ServiceStatus.ACTIVE, "192.0.2.90", BOX), "test");
            return null;
        });
        rules = new AgentService(store, database, services, devices, tasks, audit, engine, List::of, new Metrics(), null,
                30, Duration.ofSeconds(20), 3);
        rules.ownership("X", ChangeAnnouncer.NONE);
    }

    @AfterEach
    void close() {
        database.close();
    }

    private long hello() {
        return ((AgentService.Accepted) rules.hello(BOX, "01", new Hello(List.of(1), BOX, "v3", "fw-1", "test", null,
                List.of()))).token();
    }

    private String row(String sql) {
        return database.inTransaction(tx -> tx.queryOne(sql, r -> r.getString(1), BOX).orElse(null));
    }

    @Test
    void anAckWhoseTransactionFailsLeavesNothingInMemoryAndTheBoxIsPushedAgain() throws Exception {
        long token = hello();
        assertThat(rules.reconcile(BOX, token, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(ProfilePush.class);
        // the ack's writes are taken, then its audit line fails: the transaction rolls back after the rules had
        // recorded the box in sync in memory
        doThrow(new SQLException("disk full", "58030")).when(store).audit(any(), anyString(), eq("profile.applied"),
                anyString(), anyString(), anyLong(), any());

        assertThatThrownBy(() -> rules.applied(BOX, token, new Applied(1, Applied.Status.APPLIED, null)))
                .isInstanceOf(StoreException.class);

        assertThat(row("SELECT COALESCE(applied_generation, 0) FROM devices WHERE id = ?")).isEqualTo("0");
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ?")).isEqualTo("doing");
        // decided on the store, not on the rolled-back memory: not in sync, so pushed again (not confirmed)
        assertThat(rules.reconcile(BOX, token, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(ProfilePush.class);
        doCallRealMethod().when(store).audit(any(), anyString(), anyString(), any(), any(), any(), any());
        assertThat(rules.applied(BOX, token, new Applied(1, Applied.Status.APPLIED, null)).messages()).singleElement()
                .isInstanceOf(Confirm.class);
        assertThat(row("SELECT state || ' ' || outcome FROM push_tasks WHERE device_id = ?")).isEqualTo("done applied");
    }

    @Test
    void aChangeByAnotherWriterIsSeenOnceTheBoxIsForgotten() {
        long token = hello();
        rules.reconcile(BOX, token, AgentService.Trigger.HELLO);
        rules.applied(BOX, token, new Applied(1, Applied.Status.APPLIED, null));
        assertThat(rules.reconcile(BOX, token, AgentService.Trigger.CHANGE).messages()).isEmpty();

        database.inTransaction(tx -> engine.setDesiredOffer(tx, SERVICE, "business.v1", "test"));
        // the gateway is told after the commit and forgets the box in its stripe's order
        rules.forget(BOX);

        assertThat(rules.reconcile(BOX, token, AgentService.Trigger.CHANGE).messages()).singleElement()
                .isInstanceOfSatisfying(ProfilePush.class, push -> {
                    assertThat(push.generation()).isEqualTo(2);
                    assertThat(push.offer()).isEqualTo("business.v1");
                });
    }

    @Test
    void aHelloThatChangesNothingWritesNothing() throws Exception {
        long token = hello();
        rules.reconcile(BOX, token, AgentService.Trigger.HELLO);
        rules.applied(BOX, token, new Applied(1, Applied.Status.APPLIED, null));
        String before = row("SELECT owner_token || ' ' || last_seen_at FROM devices WHERE id = ?");
        long events = Long.parseLong(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ?"));

        net.otb.protocol.BandwidthProfile running = database.inTransaction(tx -> engine.profile(tx, SERVICE, 1))
                .orElseThrow().toProfile();
        long again = ((AgentService.Accepted) rules.hello(BOX, "01", new Hello(List.of(1), BOX, "v3", "fw-1", "test",
                running, List.of()))).token();
        assertThat(rules.reconcile(BOX, again, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(Confirm.class);

        assertThat(again).as("the same instance keeps the box's token").isEqualTo(token);
        assertThat(row("SELECT owner_token || ' ' || last_seen_at FROM devices WHERE id = ?")).isEqualTo(before);
        assertThat(Long.parseLong(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ?"))).isEqualTo(events);
        // last seen goes with the sweep's batch
        assertThat(rules.flushSeen()).isEqualTo(1);
        assertThat(row("SELECT owner_token || ' ' || last_seen_at FROM devices WHERE id = ?")).isNotEqualTo(before);
    }
}
