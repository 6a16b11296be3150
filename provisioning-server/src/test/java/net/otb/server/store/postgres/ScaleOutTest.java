package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Haproxy;
import net.otb.server.testing.Http;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several {@code ServerMain} processes on one PostgreSQL schema (docs/scale-out.md), boxes over real mTLS through a
 * real HAProxy in TCP mode: a payment posted to one instance reaches a box held by another (LISTEN/NOTIFY), a paused
 * instance's late writes are refused by the fence, and a SIGKILL in the middle of two bulk changes loses nothing.
 * The bulk size is the issue's, {@value #CI_BOXES} boxes ({@code -Dotb.scaleout.boxes=N} for another).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PostgresAvailable.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleOutTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int CI_BOXES = 500;
    private static final String CONTRACTS = "[\"otb-general-conditions\",\"otb-business-special-conditions\"]";

    private final TestPki pki = new TestPki();
    private final EventLoopGroup agents = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<TestAgent> boxes = new ArrayList<>();
    private final Map<String, ChildServer> instances = new LinkedHashMap<>();
    private final List<Haproxy> proxies = new ArrayList<>();
    private PostgresSchema schema;
    private Path dir;
    private List<String> pkiArgs;

    @BeforeAll
    void start(@TempDir Path temp) throws Exception {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        dir = temp;
        Path pkiDir = Files.createDirectories(temp.resolve("pki"));
        Path ca = Files.writeString(pkiDir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        Path chain = Files.writeString(pkiDir.resolve("server.crt"), Pem.writeChain(pki.server().chain()));
        Path key = Files.writeString(pkiDir.resolve("server.key"), Pem.write(pki.server().key()));
        pkiArgs = List.of("--ca-cert", ca.toString(), "--server-cert", chain.toString(), "--server-key", key.toString());
        // the first one migrates the schema; the others then start side by side
        instances.put("A", instance("A"));
        ExecutorService starter = Executors.newFixedThreadPool(2);
        try {
            Future<ChildServer> b = starter.submit(() -> instance("B"));
            Future<ChildServer> c = starter.submit(() -> instance("C"));
            instances.put("B", b.get(120, TimeUnit.SECONDS));
            instances.put("C", c.get(120, TimeUnit.SECONDS));
        } finally {
            starter.shutdownNow();
        }
    }

    @AfterAll
    void stop() throws Exception {
        boxes.forEach(TestAgent::close);
        for (Haproxy proxy : proxies) {
            proxy.close();
        }
        for (ChildServer child : instances.values()) {
            if (child.isAlive()) {
                child.resume();
            }
            child.close();
        }
        agents.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (schema != null) {
            schema.close();
        }
    }

    private ChildServer instance(String id) throws Exception {
        List<String> args = new ArrayList<>(List.of("--jdbc-url", schema.store().jdbcUrl(), "--jdbc-user",
                schema.store().user(), "--jdbc-password-env", PostgresSchema.PASSWORD_VARIABLE, "--instance-id", id,
                "--lease-seconds", "10"));
        args.addAll(pkiArgs);
        return ChildServer.start(dir.resolve("data-" + id), args.toArray(String[]::new));
    }

    private Http http(String instance) throws java.io.IOException {
        return instances.get(instance).http(pki.anchors());
    }

    private Haproxy haproxy(String... names) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (String name : names) {
            ports.add(instances.get(name).agentPort());
        }
        Haproxy proxy = Haproxy.start(dir.resolve("haproxy-" + String.join("", names)), ports);
        proxies.add(proxy);
        return proxy;
    }

    private TestAgent box(String serial) {
        TestAgent box = new TestAgent(agents, pki.device(serial), pki.anchors(), serial, "v3", true);
        boxes.add(box);
        return box;
    }

    private static void created(Http.Answer answer) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(201);
    }

    private void register(Http http, String serial, String service, String ip) throws Exception {
        created(http.post("/1.0/admin/devices", "{\"serial\":\"" + serial + "\",\"model\":\"v3\"}"));
        bind(http, serial, service, ip);
    }

    private void bind(Http http, String serial, String service, String ip) throws Exception {
        created(http.post("/1.0/admin/services", "{\"serviceName\":\"" + service + "\",\"account\":\"acct-so\","
                + "\"offer\":\"starter.v1\",\"serviceIp\":\"" + ip + "\",\"deviceId\":\"" + serial + "\"}"));
    }

    private String owner(String serial) throws SQLException {
        return queryString("SELECT owner_instance FROM devices WHERE id = ?", serial);
    }

    private String queryString(String sql, Object... args) throws SQLException {
        try (Connection connection = schema.connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private long queryLong(String sql, Object... args) throws SQLException {
        String value = queryString(sql, args);
        return value == null ? 0 : Long.parseLong(value);
    }

    @Test
    @Order(1)
    void aPaymentPostedToOneInstanceReachesTheBoxWhoseSessionIsOnAnother() throws Exception {
        Haproxy proxy = haproxy("A", "B", "C");
        register(http("A"), "OTB3-SO0001", "otb-so-pay", "198.51.100.1");
        TestAgent box = box("OTB3-SO0001").reconnectTo(proxy::port).connect(proxy.port());
        box.await(Welcome.class, DEADLINE);
        box.awaitConfirm(1, DEADLINE);
        String holder = owner("OTB3-SO0001");
        assertThat(holder).isIn("A", "B", "C");
        String other = instances.keySet().stream().filter(n -> !n.equals(holder)).findFirst().orElseThrow();

        Http.Answer order = http(other).post("/1.0/overTheBox/otb-so-pay/migration/changeOffers",
                "{\"offer\":\"business.v1\",\"acceptedContracts\":" + CONTRACTS + "}");
        assertThat(order.status()).as(order.body()).isEqualTo(200);
        long orderId = order.json().path("orderId").asLong();
        long start = System.nanoTime();
        Http.Answer paid = http(other).post("/1.0/me/order/" + orderId + "/pay",
                "{\"paymentId\":\"pay-so-1\",\"amountCents\":3999}");
        assertThat(paid.status()).as(paid.body()).isEqualTo(200);
        box.awaitConfirm(2, DEADLINE);
        double millis = (System.nanoTime() - start) / 1e6;
        System.out.printf("scale-out: payment posted to instance %s -> applied and confirmed on the box held by %s: "
                + "%.1f ms (loadavg %s)%n", other, holder, millis, Files.readString(Path.of("/proc/loadavg")).trim());

        assertThat(box.applied().offer()).isEqualTo("business.v1");
        assertThat(box.applied().serviceIp()).isEqualTo("198.51.100.1");
        assertThat(owner("OTB3-SO0001")).as("the box never moved").isEqualTo(holder);
        assertThat(queryLong("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'profile.applied' "
                + "AND generation = 2", "OTB3-SO0001")).isEqualTo(1);
        // the push left the holder on the notification, not on its sweep (every 5 s)
        assertThat(millis).isLessThan(4_000);
        assertThat(queryLong("SELECT COUNT(*) FROM instances")).isEqualTo(3);

        // every instance shows where the box is: the admin view and the console's instances, from the database
        Http.Answer device = http(other).get("/1.0/admin/devices/OTB3-SO0001");
        assertThat(device.json().path("connected").asBoolean()).as(device.body()).isTrue();
        assertThat(device.json().path("instance").asText()).isEqualTo(holder);
        Http.Answer listed = http(other).get("/1.0/admin/instances");
        assertThat(listed.json()).as(listed.body()).hasSize(3);
        assertThat(listed.json().get(0).path("instance").asText()).as("itself first").isEqualTo(other);
        for (com.fasterxml.jackson.databind.JsonNode row : listed.json()) {
            if (row.path("instance").asText().equals(holder)) {
                assertThat(row.path("sessions").asInt()).as(listed.body()).isEqualTo(1);
            }
        }
        // once the box is gone its row says so, and no instance counts it any more
        box.close();
        await().atMost(DEADLINE).until(() -> owner("OTB3-SO0001") == null);
        device = http(other).get("/1.0/admin/devices/OTB3-SO0001");
        assertThat(device.json().path("connected").asBoolean()).as(device.body()).isFalse();
        assertThat(http(holder).get("/1.0/admin/devices/OTB3-SO0001").json().path("connected").asBoolean()).isFalse();
    }

    @Test
    @Order(2)
    void anInstancePausedWhileItsBoxMovedOnCanWriteNothingForItWhenItWakesUp() throws Exception {
        ChildServer a = instances.get("A");
        created(http("B").post("/1.0/admin/devices", "{\"serial\":\"OTB3-SO0002\",\"model\":\"v3\"}"));
        TestAgent box = box("OTB3-SO0002").reconnectTo(() -> instances.get("B").agentPort()).connect(a.agentPort());
        box.await(Welcome.class, DEADLINE);
        // created on B, pushed by A (the box's holder) on B's notification
        bind(http("B"), "OTB3-SO0002", "otb-so-fence", "198.51.100.2");
        box.awaitConfirm(1, DEADLINE);
        assertThat(owner("OTB3-SO0002")).isEqualTo("A");
        long tokenOnA = queryLong("SELECT owner_token FROM devices WHERE id = ?", "OTB3-SO0002");

        box.holdApplies();
        Http.Answer bulk = http("B").post("/1.0/admin/desiredOffers",
                "{\"offer\":\"business.v1\",\"serviceNames\":[\"otb-so-fence\"]}");
        assertThat(bulk.status()).as(bulk.body()).isEqualTo(200);
        box.await(ProfilePush.class, p -> p.generation() == 2, DEADLINE);

        // A stops (a long GC pause); the box's "applied" waits in A's socket; the box gives up on A, goes to B
        a.pause();
        box.releaseApplies();
        box.dropConnection();
        box.awaitConfirm(2, DEADLINE);
        await().atMost(DEADLINE).until(() -> "B".equals(owner("OTB3-SO0002")));
        assertThat(queryLong("SELECT owner_token FROM devices WHERE id = ?", "OTB3-SO0002")).isEqualTo(tokenOnA + 1);

        a.resume();
        String line = a.awaitLine("event=session.fenced device=OTB3-SO0002 write=\"applied #2\"", DEADLINE);
        assertThat(line).contains("token=" + tokenOnA + " ").contains("owner=B owner_token=" + (tokenOnA + 1));
        // the rows are B's: the task closed by B's hello, no "profile.applied" written by A's late answer
        assertThat(queryString("SELECT detail FROM push_tasks WHERE device_id = ? AND generation = 2",
                "OTB3-SO0002")).isEqualTo("reported applied at hello");
        assertThat(queryLong("SELECT COUNT(*) FROM audit_events WHERE device_id = ? AND action = 'profile.applied' "
                + "AND generation = 2", "OTB3-SO0002")).isZero();
        assertThat(owner("OTB3-SO0002")).isEqualTo("B");
        assertThat(box.applied().generation()).isEqualTo(2);
    }

    @Test
    @Order(3)
    void aSigkillOfTheInstanceHoldingHalfTheBoxesInTheMiddleOfTwoBulkChangesLosesNothing() throws Exception {
        int count = Integer.getInteger("otb.scaleout.boxes", CI_BOXES);
        Haproxy proxy = haproxy("B", "C");
        List<String> services = IntStream.range(0, count).mapToObj(i -> String.format("otb-so-bulk-%04d", i)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int n = i;
                Http http = http(n % 2 == 0 ? "B" : "C");
                done.add(pool.submit(() -> {
                    register(http, String.format("OTB3-SB%04d", n), services.get(n),
                            "10.66." + (n / 250) + "." + (n % 250 + 1));
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<TestAgent> fleet = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            fleet.add(box(String.format("OTB3-SB%04d", i)).reconnectTo(proxy::port).connect(proxy.port()));
        }
        for (TestAgent box : fleet) {
            box.awaitConfirm(1, DEADLINE);
        }
        Map<String, Long> held = new LinkedHashMap<>();
        for (TestAgent box : fleet) {
            held.merge(owner(box.deviceId()), 1L, Long::sum);
        }
        assertThat(held.keySet()).containsExactlyInAnyOrder("B", "C");
        String victim = held.get("B") >= held.get("C") ? "B" : "C";
        String survivor = victim.equals("B") ? "C" : "B";

        String names = services.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
        Http.Answer first = http(survivor).post("/1.0/admin/desiredOffers",
                "{\"offer\":\"business.v1\",\"serviceNames\":" + names + "}", "so-bulk-1");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        long start = System.nanoTime();
        instances.get(victim).kill();
        Http.Answer second = http(survivor).post("/1.0/admin/desiredOffers",
                "{\"offer\":\"starter.v1\",\"serviceNames\":" + names + "}", "so-bulk-2");
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json().path("changed").asInt()).isEqualTo(count);

        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> queryLong("SELECT COUNT(*) FROM "
                + "devices d JOIN services s ON s.device_id = d.id WHERE s.name LIKE 'otb-so-bulk-%' "
                + "AND d.applied_generation = 3 AND s.desired_generation = 3") == count);
        await().atMost(DEADLINE).until(() -> queryLong("SELECT COUNT(*) FROM push_tasks WHERE state = 'doing'") == 0);
        System.out.printf("scale-out: %d boxes, SIGKILL of %s holding %d of them between two bulk changes: all "
                + "applied on generation 3 after %.1f s (loadavg %s)%n", count, victim, held.get(victim),
                (System.nanoTime() - start) / 1e9, Files.readString(Path.of("/proc/loadavg")).trim());

        for (TestAgent box : fleet) {
            assertThat(box.applied().generation()).as(box.deviceId()).isEqualTo(3);
            assertThat(box.applied().offer()).isEqualTo("starter.v1");
            assertThat(box.pushedGenerations()).as("%s never goes back to an older generation", box.deviceId())
                    .isSorted();
            assertThat(owner(box.deviceId())).isEqualTo(survivor);
        }
        // each answered change exists exactly once
        for (int generation = 1; generation <= 3; generation++) {
            assertThat(queryLong("SELECT COUNT(*) FROM desired_profiles WHERE service_name LIKE 'otb-so-bulk-%' "
                    + "AND generation = ?", generation)).isEqualTo(count);
        }
        assertThat(queryLong("SELECT COUNT(*) FROM audit_events WHERE action = 'desired.changed' "
                + "AND service_name LIKE 'otb-so-bulk-%'")).isEqualTo(2L * count);
        assertThat(queryLong("SELECT COUNT(*) FROM push_tasks WHERE state = 'doing' OR state = 'todo'")).isZero();
    }
}
