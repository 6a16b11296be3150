package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import net.otb.server.cluster.ClusterEvents;
import net.otb.server.cluster.InstanceLease;
import net.otb.server.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The two cluster mechanisms on PostgreSQL, in-process: an instance whose lease ran out is taken for dead by another
 * (its boxes fenced, their pushes due again) and learns it at its next heartbeat; announcements leave with the commit
 * only, reach the other instances but not their sender, and the listener comes back by itself when its connection
 * is cut.
 */
@ExtendWith(PostgresAvailable.class)
class ClusterOnPostgresTest {

    /** A clock the test moves. */
    private static final class TestClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-05-04T10:00:00Z"));

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    private final TestClock clock = new TestClock();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private PostgresSchema schema;
    private Database database;

    @BeforeEach
    void open() throws SQLException {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        database = Database.open(schema.store(), clock, new SecureRandom());
    }

    @AfterEach
    void close() throws Exception {
        java.util.Collections.reverse(closing);
        for (AutoCloseable c : closing) {
            c.close();
        }
        database.close();
        schema.close();
    }

    private void box(String id, String owner, long token, String taskState) {
        database.inTransaction(tx -> {
            Instant now = tx.now();
            tx.update("INSERT INTO devices (id, model, state, registered_at, owner_instance, owner_token) "
                    + "VALUES (?, 'v3', 'active', ?, ?, ?)", id, now, owner, token);
            tx.update("INSERT INTO push_tasks (device_id, service_name, kind, generation, state, attempts, rollbacks, "
                    + "created_at, updated_at, sent_at) VALUES (?, 'svc-' || ?, 'profile', 2, ?, 1, 0, ?, ?, ?)",
                    id, id, taskState, now, now, now);
            return null;
        });
    }

    private String row(String sql, Object... args) {
        return database.inTransaction(tx -> tx.queryOne(sql, r -> r.getString(1), args).orElse(null));
    }

    @Test
    void anInstanceWhoseLeaseRanOutIsTakenForDeadItsBoxesFencedAndItsPushesDueAgain() {
        AtomicInteger xLost = new AtomicInteger();
        InstanceLease x = new InstanceLease(database, "X", "127.0.0.1:1", Duration.ofMinutes(10), xLost::incrementAndGet);
        InstanceLease y = new InstanceLease(database, "Y", "127.0.0.1:2", Duration.ofMinutes(10), () -> { });
        closing.add(x);
        closing.add(y);
        x.start();
        y.start();
        box("OTB3-LX1", "X", 5, "doing");
        box("OTB3-LX2", "X", 9, "done");
        box("OTB3-LY1", "Y", 3, "doing");

        clock.now.updateAndGet(t -> t.plus(Duration.ofMinutes(5)));
        y.heartbeat();
        assertThat(row("SELECT owner_token FROM devices WHERE id = 'OTB3-LX1'")).as("alive: nothing fenced").isEqualTo("5");

        // X pauses past its lease; Y's next heartbeat takes it for dead
        clock.now.updateAndGet(t -> t.plus(Duration.ofMinutes(11)));
        y.heartbeat();
        assertThat(row("SELECT COUNT(*) FROM instances WHERE instance_id = 'X'")).isEqualTo("0");
        assertThat(row("SELECT owner_token || ' ' || COALESCE(owner_instance, '-') FROM devices WHERE id = 'OTB3-LX1'"))
                .isEqualTo("6 -");
        assertThat(row("SELECT owner_token FROM devices WHERE id = 'OTB3-LX2'")).isEqualTo("10");
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = 'OTB3-LX1'")).isEqualTo("todo");
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = 'OTB3-LX2'")).isEqualTo("done");
        assertThat(row("SELECT owner_token || ' ' || owner_instance FROM devices WHERE id = 'OTB3-LY1'"))
                .as("the living instance's boxes are untouched").isEqualTo("3 Y");
        assertThat(row("SELECT state FROM push_tasks WHERE device_id = 'OTB3-LY1'")).isEqualTo("doing");

        // X wakes up: its row is gone, so it ends its sessions and holds a lease again
        assertThat(xLost.get()).isZero();
        x.heartbeat();
        assertThat(xLost.get()).isEqualTo(1);
        assertThat(row("SELECT COUNT(*) FROM instances")).isEqualTo("2");
    }

    @Test
    void announcementsLeaveWithTheCommitOnlyReachTheOthersAndSurviveACutListener() throws Exception {
        String channel = ClusterEvents.channelFor(database.inTransaction(ClusterEvents::currentSchema));
        Sink heardByB = new Sink();
        Sink heardByA = new Sink();
        ClusterEvents a = new ClusterEvents(schema.store(), channel, "A", heardByA);
        ClusterEvents b = new ClusterEvents(schema.store(), channel, "B", heardByB);
        closing.add(a);
        closing.add(b);
        a.start(10_000);
        b.start(10_000);
        assertThat(a.isListening()).isTrue();
        assertThat(b.isListening()).isTrue();

        try {
            database.inTransaction(tx -> {
                a.changed(tx, List.of("OTB3-ROLLED"));
                throw new IllegalStateException("rolled back");
            });
        } catch (IllegalStateException expected) {
            // the change and its announcement are gone together
        }
        // a bulk change's boxes, more than one payload holds
        List<String> many = IntStream.range(0, 1_000).mapToObj(i -> String.format("OTB3-BULK-%06d", i)).toList();
        database.inTransaction(tx -> {
            a.changed(tx, many);
            a.sessionTaken(tx, "OTB3-MOVED", "B", 7);
            a.revoked(tx, "OTB3-REVOKED");
            return null;
        });
        List<String> heard = new ArrayList<>();
        for (int i = 0; i < many.size() + 2; i++) {
            String event = heardByB.events.poll(20, TimeUnit.SECONDS);
            assertThat(event).as("event %d", i).isNotNull();
            heard.add(event);
        }
        assertThat(heard.subList(0, many.size())).containsExactlyElementsOf(many.stream().map(id -> "c " + id).toList());
        assertThat(heard.subList(many.size(), heard.size())).containsExactly("s OTB3-MOVED A 7", "r OTB3-REVOKED");
        assertThat(heardByA.events).as("an instance skips its own announcements").isEmpty();

        // the listener's connection is cut (a PostgreSQL restart, a proxy): it comes back and asks for a sweep
        int before = b.backendPid();
        database.inTransaction(tx -> tx.query("SELECT pg_terminate_backend(?)", r -> r.getBoolean(1), before));
        assertThat(heardByB.resubscribed.await(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> b.isListening() && b.backendPid() != before);
        database.inTransaction(tx -> {
            a.changed(tx, List.of("OTB3-AFTER-CUT"));
            return null;
        });
        assertThat(heardByB.events.poll(20, TimeUnit.SECONDS)).isEqualTo("c OTB3-AFTER-CUT");
    }

    private static final class Sink implements ClusterEvents.Sink {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final CountDownLatch resubscribed = new CountDownLatch(1);

        @Override
        public void changed(String deviceId) {
            events.add("c " + deviceId);
        }

        @Override
        public void revoked(String deviceId) {
            events.add("r " + deviceId);
        }

        @Override
        public void sessionTaken(String deviceId, String instance, long token) {
            events.add("s " + deviceId + " " + instance + " " + token);
        }

        @Override
        public void resubscribed() {
            resubscribed.countDown();
        }
    }
}
