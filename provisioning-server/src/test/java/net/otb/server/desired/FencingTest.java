package net.otb.server.desired;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.pki.Csrs;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.Pem;
import net.otb.server.catalog.Catalog;
import net.otb.server.device.DeviceState;
import net.otb.server.device.Devices;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence on every write for a box, in-process on H2: once a newer session took the box (here through a second
 * instance's rules on the same store), the older session's applied, task sent (reconcile), decommission told and
 * renewal write nothing and answer {@code superseded}; the newer session's do.
 */
class FencingTest {

    private static final String BOX = "OTB3-FENCE1";

    @TempDir
    Path dir;

    private final Services services = new Services();
    private final Devices devices = new Devices();
    private final PushTasks tasks = new PushTasks();
    private final AuditLog audit = new AuditLog();
    private final DesiredStateEngine engine = new DesiredStateEngine(Catalog::defaults, services, devices, tasks, audit);
    private Database database;

    @BeforeEach
    void open() {
        database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), new SecureRandom());
        database.inTransaction(tx -> {
            devices.register(tx, BOX, "v3");
            devices.register(tx, "OTB3-FENCE2", "v3");
            engine.createService(tx, new DesiredStateEngine.NewService("otb-fence", "acc", "starter.v1",
                    ServiceStatus.ACTIVE, "192.0.2.77", BOX), "test");
            return null;
        });
    }

    @AfterEach
    void close() {
        database.close();
    }

    private AgentService instance(String id) {
        return instance(id, null);
    }

    private AgentService instance(String id, net.otb.protocol.pki.CertificateAuthority authority) {
        AgentService rules = new AgentService(database, services, devices, tasks, audit, engine, List::of, new Metrics(),
                authority, 30, Duration.ofSeconds(20), 3);
        rules.ownership(id, ChangeAnnouncer.NONE);
        return rules;
    }

    private long hello(AgentService rules) {
        AgentService.HelloOutcome outcome = rules.hello(BOX, "01", new Hello(List.of(1), BOX, "v3", "fw-1", "test", null,
                List.of()));
        assertThat(outcome).isInstanceOf(AgentService.Accepted.class);
        return ((AgentService.Accepted) outcome).token();
    }

    private String row(String sql) {
        return database.inTransaction(tx -> tx.queryOne(sql, r -> r.getString(1), BOX).orElse(null));
    }

    private static void assertSuperseded(AgentService.Reply reply) {
        assertThat(reply.close()).isTrue();
        assertThat(reply.messages()).singleElement().isInstanceOfSatisfying(ErrorMessage.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.SUPERSEDED.wire()));
    }

    @Test
    void theOlderSessionsWritesAreRefusedOnceANewerSessionTookTheBox() {
        AgentService x = instance("X");
        AgentService y = instance("Y");
        long old = hello(x);
        assertThat(x.reconcile(BOX, old, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(ProfilePush.class);
        assertThat(row("SELECT state || ' ' || attempts FROM push_tasks WHERE device_id = ?")).isEqualTo("doing 1");

        long newer = hello(y);
        assertThat(newer).isEqualTo(old + 1);
        assertThat(row("SELECT owner_instance || ' ' || owner_token FROM devices WHERE id = ?")).isEqualTo("Y " + newer);

        // the old session's answer: nothing recorded, no confirm
        assertSuperseded(x.applied(BOX, old, new Applied(1, Applied.Status.APPLIED, null)));
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ?")).isEqualTo("doing");
        assertThat(row("SELECT COALESCE(applied_generation, 0) FROM devices WHERE id = ?")).isEqualTo("0");
        assertThat(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'profile.applied'")).isEqualTo("0");
        // the old session's re-send: not marked sent again
        assertSuperseded(x.reconcile(BOX, old, AgentService.Trigger.HELLO));
        assertThat(row("SELECT attempts FROM push_tasks WHERE device_id = ?")).isEqualTo("1");
        // the conditional statement itself
        long task = Long.parseLong(row("SELECT id FROM push_tasks WHERE device_id = ?"));
        assertThat(database.<Boolean>inTransaction(tx -> tasks.markSent(tx, task, BOX, old))).isFalse();
        assertThat(database.<Boolean>inTransaction(tx -> tasks.markSent(tx, task, BOX, newer))).isTrue();

        // the newer session's answer is taken
        assertThat(y.applied(BOX, newer, new Applied(1, Applied.Status.APPLIED, null)).messages()).singleElement()
                .isInstanceOf(Confirm.class);
        assertThat(row("SELECT state || ' ' || outcome FROM push_tasks WHERE device_id = ?")).isEqualTo("done applied");
    }

    @Test
    void aDecommissionOnAnOlderSessionIsNeitherToldNorRecorded() {
        AgentService x = instance("X");
        AgentService y = instance("Y");
        long old = hello(x);
        database.inTransaction(tx -> {
            engine.bindService(tx, "otb-fence", "OTB3-FENCE2", "test");
            return null;
        });
        long newer = hello(y);

        assertSuperseded(x.reconcile(BOX, old, AgentService.Trigger.HELLO));
        assertThat(row("SELECT state FROM devices WHERE id = ?")).isEqualTo(DeviceState.DECOMMISSIONING.wire());
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = ? AND kind = 'decommission'")).isEqualTo("todo");

        assertThat(y.reconcile(BOX, newer, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(Decommission.class);
        // recorded told in the transaction that sends it: nothing waits for word of the write
        assertThat(row("SELECT state FROM devices WHERE id = ?")).isEqualTo(DeviceState.DECOMMISSIONED.wire());
        assertThat(row("SELECT state || ' ' || outcome || ' ' || attempts FROM push_tasks WHERE device_id = ? "
                + "AND kind = 'decommission'")).isEqualTo("done told 1");
        assertThat(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'device.decommissioned'"))
                .isEqualTo("1");
        // and told again at its next hello, with nothing more recorded
        long again = hello(y);
        assertThat(y.reconcile(BOX, again, AgentService.Trigger.HELLO).messages()).singleElement()
                .isInstanceOf(Decommission.class);
        assertThat(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'device.decommissioned'"))
                .isEqualTo("1");
    }

    @Test
    void aRenewalOnAnOlderSessionGetsNoCertificateAndNoAuditLine() throws Exception {
        DevPki pki = DevPki.init(dir.resolve("pki"), Clock.systemUTC(), new SecureRandom());
        AgentService x = instance("X", pki.authority());
        AgentService y = instance("Y", pki.authority());
        String csr = Pem.write(Csrs.create(KeyPairs.p256(new SecureRandom()), BOX));
        long old = hello(x);
        long newer = hello(y);

        assertSuperseded(x.renew(BOX, old, csr));
        assertThat(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'certificate.renewed'"))
                .isEqualTo("0");

        assertThat(y.renew(BOX, newer, csr).messages()).singleElement().isInstanceOf(CertificateChain.class);
        assertThat(row("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'certificate.renewed'"))
                .isEqualTo("1");
    }

    @Test
    void theEndOfAnOlderSessionLeavesTheNewerOwnerInPlace() {
        AgentService x = instance("X");
        AgentService y = instance("Y");
        long old = hello(x);
        long newer = hello(y);

        assertThat(database.<Boolean>inTransaction(tx -> x.sessionClosed(tx, BOX, old))).isFalse();
        assertThat(row("SELECT owner_instance || ' ' || owner_token FROM devices WHERE id = ?")).isEqualTo("Y " + newer);
        assertThat(database.<Boolean>inTransaction(tx -> y.sessionClosed(tx, BOX, newer))).isTrue();
        assertThat(row("SELECT COALESCE(owner_instance, 'nowhere') || ' ' || owner_token FROM devices WHERE id = ?"))
                .as("held nowhere; the token stays for the fence").isEqualTo("nowhere " + newer);
        // the next session takes the box over as usual, with the next token
        assertThat(hello(x)).isEqualTo(newer + 1);
    }
}
