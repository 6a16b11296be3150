package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code ServerMain} processes on a PostgreSQL of the test's own ({@link PrivatePostgres}), restarted
 * ({@code pg_ctl restart -m fast}) while bulk changes are posted to both in turn: the instances reconnect, their
 * listeners resubscribe, every change they answered is in the database, and every box ends on the last one.
 */
class PostgresRestartTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int BOXES = 16;

    /** A bulk change an instance answered 200: the generation it gave each service. */
    private record Answered(String offer, List<Long> generations) {
    }

    @Test
    void theInstancesComeBackAfterAPostgresRestartUnderLoadAndNothingAnsweredIsLost(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        TestPki pki = new TestPki();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<TestAgent> boxes = new ArrayList<>();
        List<ChildServer> children = new ArrayList<>();
        try (PrivatePostgres pg = PrivatePostgres.start();
             PostgresSchema schema = PostgresSchema.create(pg.environment(), new SecureRandom())) {
            Path pkiDir = Files.createDirectories(dir.resolve("pki"));
            Path ca = Files.writeString(pkiDir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
            Path chain = Files.writeString(pkiDir.resolve("server.crt"), Pem.writeChain(pki.server().chain()));
            Path key = Files.writeString(pkiDir.resolve("server.key"), Pem.write(pki.server().key()));
            for (String id : List.of("A", "B")) {
                children.add(ChildServer.start(dir.resolve("data-" + id), "--jdbc-url", schema.store().jdbcUrl(),
                        "--jdbc-user", "otb", "--instance-id", id, "--ack-timeout-seconds", "5", "--ca-cert", ca.toString(), "--server-cert",
                        chain.toString(), "--server-key", key.toString()));
            }
            phase("instances up", t0);
            Http[] http = {children.get(0).http(pki.anchors()), children.get(1).http(pki.anchors())};
            List<String> services = IntStream.range(0, BOXES).mapToObj(i -> String.format("otb-rs-%03d", i)).toList();
            for (int i = 0; i < BOXES; i++) {
                String serial = String.format("OTB3-RS%03d", i);
                Http h = http[i % 2];
                assertThat(h.post("/1.0/admin/devices", "{\"serial\":\"" + serial + "\",\"model\":\"v3\"}").status())
                        .isEqualTo(201);
                int port = children.get(i % 2).agentPort();
                TestAgent box = new TestAgent(group, pki.device(serial), pki.anchors(), serial, "v3", true)
                        .reconnectTo(() -> port).connect(port);
                boxes.add(box);
                box.await(Welcome.class, DEADLINE);
                Http.Answer created = h.post("/1.0/admin/services", "{\"serviceName\":\"" + services.get(i)
                        + "\",\"account\":\"acct-rs\",\"offer\":\"starter.v1\",\"serviceIp\":\"10.55.0." + (i + 1)
                        + "\",\"deviceId\":\"" + serial + "\"}");
                assertThat(created.status()).as(created.body()).isEqualTo(201);
            }
            for (TestAgent box : boxes) {
                box.awaitConfirm(1, DEADLINE);
            }

            phase("boxes confirmed", t0);
            // the load: bulk changes to A and B in turn, as fast as they answer
            String names = services.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
            List<Answered> answered = new CopyOnWriteArrayList<>();
            List<String> unanswered = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread load = new Thread(() -> {
                for (int k = 0; !stop.get(); k++) {
                    String offer = k % 2 == 0 ? "business.v1" : "starter.v1";
                    try {
                        Http.Answer a = http[k % 2].post("/1.0/admin/desiredOffers", "{\"offer\":\"" + offer
                                + "\",\"serviceNames\":" + names + "}");
                        if (a.status() == 200) {
                            List<Long> generations = new ArrayList<>();
                            for (JsonNode p : a.json().path("profiles")) {
                                generations.add(p.path("generation").asLong());
                            }
                            answered.add(new Answered(offer, generations));
                        } else {
                            unanswered.add(a.status() + " " + a.body());
                        }
                    } catch (Exception e) {
                        unanswered.add(e.toString());
                    }
                }
            }, "bulk-load");
            load.start();
            await().atMost(DEADLINE).until(() -> answered.size() >= 3);
            int before = answered.size();
            phase("restarting", t0);
            pg.restart();
            phase("restarted", t0);
            // two answers in a row after the restart: one from each instance
            await().atMost(DEADLINE).until(() -> answered.size() >= before + 2);
            stop.set(true);
            load.join(TimeUnit.SECONDS.toMillis(30));
            System.out.printf("postgres restart: %d bulk changes answered, %d refused or failed meanwhile%n",
                    answered.size(), unanswered.size());

            phase("load stopped", t0);
            for (ChildServer child : children) {
                assertThat(child.awaitLine("again; sweeping", DEADLINE)).contains("listening on otb_");
            }
            try (Connection c = schema.connect()) {
                for (Answered change : answered) {
                    for (int i = 0; i < BOXES; i++) {
                        assertThat(offerAt(c, services.get(i), change.generations().get(i)))
                                .as("answered %s of %s", change, services.get(i)).isEqualTo(change.offer());
                    }
                }
            }
            long last = answered.get(answered.size() - 1).generations().get(0);
            await().atMost(DEADLINE).until(() -> boxes.stream().allMatch(b -> b.applied() != null
                    && b.applied().generation() >= last));
            try (Connection c = schema.connect()) {
                await().atMost(DEADLINE).until(() -> count(c, "SELECT COUNT(*) FROM devices d JOIN services s ON "
                        + "s.device_id = d.id WHERE d.applied_generation = s.desired_generation") == BOXES
                        && count(c, "SELECT COUNT(*) FROM push_tasks WHERE state IN ('doing', 'todo')") == 0);
            }
            phase("converged", t0);
        } finally {
            boxes.forEach(TestAgent::close);
            for (ChildServer child : children) {
                child.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static void phase(String what, long t0) {
        System.out.printf("postgres restart: %s at %.1f s%n", what, (System.nanoTime() - t0) / 1e9);
    }

    private static String offerAt(Connection c, String service, long generation) throws Exception {
        try (PreparedStatement s = c.prepareStatement("SELECT offer FROM desired_profiles WHERE service_name = ? "
                + "AND generation = ?")) {
            s.setString(1, service);
            s.setLong(2, generation);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private static long count(Connection c, String sql) throws Exception {
        try (ResultSet rows = c.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
