package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.Welcome;
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
 * The offer change on PostgreSQL, through the server's real HTTP API and a box over real mTLS: the switch without
 * a new box, fifty racing orders and payments, an {@code Idempotency-Key} replay, a second server instance on the
 * same schema that finds everything and keeps serving, and a shipped box taking the service over there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PostgresAvailable.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresOfferChangeTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final int RACERS = 50;
    private static final String CONTRACTS = "[\"otb-general-conditions\",\"otb-business-special-conditions\"]";
    private static final String TO_BUSINESS = "{\"offer\":\"business.v1\",\"acceptedContracts\":" + CONTRACTS + "}";

    private PostgresSchema schema;
    private PostgresServer server;
    private TestAgent box;
    private TestAgent shippedBox;
    private long paidOrder;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        // the days the refunds are computed on: 15 April 2026 from 08:00 UTC, running at real speed
        Clock clock = Clock.offset(Clock.systemUTC(), Duration.between(Instant.now(), Instant.parse("2026-04-15T08:00:00Z")));
        server = new PostgresServer(dir, schema, clock).start();
    }

    @AfterAll
    void stop() throws SQLException {
        for (TestAgent agent : new TestAgent[] {box, shippedBox}) {
            if (agent != null) {
                agent.close();
            }
        }
        if (server != null) {
            server.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    private Http http() {
        return server.http();
    }

    private Http.Answer post(String path, String json) throws Exception {
        return http().post(path, json);
    }

    private JsonNode get(String path) throws Exception {
        Http.Answer answer = http().get(path);
        assertThat(answer.status()).as("GET %s: %s", path, answer.body()).isEqualTo(200);
        return answer.json();
    }

    private void createService(String name, String ip, String deviceId) throws Exception {
        Http.Answer created = post("/1.0/admin/services", "{\"serviceName\":\"" + name + "\",\"account\":\"acct-pg\","
                + "\"offer\":\"starter.v1\",\"serviceIp\":\"" + ip + "\"" + (deviceId == null ? "" : ",\"deviceId\":\""
                + deviceId + "\"") + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    private long order(String service) throws Exception {
        Http.Answer created = post("/1.0/overTheBox/" + service + "/migration/changeOffers", TO_BUSINESS);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("orderId").asLong();
    }

    private long count(String service, String action) throws Exception {
        long n = 0;
        for (JsonNode event : get("/1.0/overTheBox/" + service + "/audit?limit=1000")) {
            if (event.path("action").asText().equals(action)) {
                n++;
            }
        }
        return n;
    }

    /** Runs {@code call} from {@link #RACERS} threads released together; returns every answer. */
    private static List<Http.Answer> race(Callable<Http.Answer> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACERS);
        try {
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Http.Answer>> futures = new ArrayList<>();
            for (int i = 0; i < RACERS; i++) {
                futures.add(pool.submit(() -> {
                    gate.await();
                    return call.call();
                }));
            }
            gate.countDown();
            List<Http.Answer> answers = new ArrayList<>();
            for (Future<Http.Answer> future : futures) {
                answers.add(future.get(60, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A service view without what a session changes: whether the box is connected, when it was last seen. */
    private static JsonNode durable(JsonNode service) {
        ObjectNode copy = service.deepCopy();
        ((ObjectNode) copy.path("device")).remove(List.of("connected", "lastSeenAt", "instance"));
        return copy;
    }

    @Test
    @Order(1)
    void starterToBusinessWithoutANewBoxSwitchesTheBoxKeepsTheIpAndRefundsOnce() throws Exception {
        assertThat(post("/1.0/admin/devices", "{\"serial\":\"OTB3-PG0001\",\"model\":\"v3\"}").status()).isEqualTo(201);
        box = server.box("OTB3-PG0001", "v3").connect(server.agentPort());
        box.await(Welcome.class, DEADLINE);
        createService("otb-pg", "2001:db8::5", "OTB3-PG0001");
        box.awaitConfirm(1, DEADLINE);
        assertThat(box.applied().offer()).isEqualTo("starter.v1");

        JsonNode quote = get("/1.0/order/overTheBox/otb-pg/migrate?offer=business.v1");
        assertThat(quote.at("/firstPayment/cents").asLong()).isEqualTo(3999);
        paidOrder = order("otb-pg");
        assertThat(get("/1.0/me/order/" + paidOrder).path("status").asText()).isEqualTo("unpaid");

        Http.Answer paid = post("/1.0/me/order/" + paidOrder + "/pay", "{\"paymentId\":\"pay-pg-1\",\"amountCents\":3999}");
        assertThat(paid.status()).as(paid.body()).isEqualTo(200);
        assertThat(paid.json().at("/migration/state").asText()).isEqualTo("done");

        box.awaitConfirm(2, DEADLINE);
        assertThat(box.applied().offer()).isEqualTo("business.v1");
        assertThat(box.applied().downKbps()).isEqualTo(1_000_000);
        assertThat(box.applied().serviceIp()).isEqualTo("2001:db8::5");
        await().atMost(DEADLINE).until(() -> get("/1.0/overTheBox/otb-pg/migration").path("profileApplied").asBoolean());
        JsonNode migration = get("/1.0/overTheBox/otb-pg/migration");
        assertThat(migration.path("effectiveDate").asText()).isEqualTo("2026-04-15");
        // 1999 × (30 − 15 + 1) / 30 = 1066.13… → 1066
        assertThat(migration.at("/refund/amount/cents").asLong()).isEqualTo(1066);
        assertThat(post("/1.0/me/order/" + paidOrder + "/pay", "{\"paymentId\":\"pay-pg-1\"}").status()).isEqualTo(200);
        assertThat(get("/1.0/me/refund?orderId=" + paidOrder)).hasSize(1);
        assertThat(count("otb-pg", "desired.changed")).isEqualTo(1);
    }

    @Test
    @Order(2)
    void fiftyConcurrentChangeOffersMakeExactlyOneOrder() throws Exception {
        createService("otb-pg-race", "198.51.100.90", null);

        List<Http.Answer> answers = race(() -> post("/1.0/overTheBox/otb-pg-race/migration/changeOffers", TO_BUSINESS));

        List<Http.Answer> created = answers.stream().filter(a -> a.status() == 200).toList();
        assertThat(created).hasSize(1);
        assertThat(answers).filteredOn(a -> a.status() != 200).allSatisfy(a -> {
            assertThat(a.status()).as(a.body()).isEqualTo(409);
            assertThat(a.json().path("type").asText()).endsWith("/open-migration");
        });
        assertThat(count("otb-pg-race", "migration.ordered")).isEqualTo(1);
        assertThat(get("/1.0/overTheBox/otb-pg-race/migration").path("orderId").asLong())
                .isEqualTo(created.get(0).json().path("orderId").asLong());
    }

    @Test
    @Order(3)
    void fiftyConcurrentDifferentPaymentsAcceptExactlyOne() throws Exception {
        createService("otb-pg-pay", "198.51.100.91", null);
        long orderId = order("otb-pg-pay");
        SecureRandom ids = new SecureRandom();

        List<Http.Answer> answers = race(() -> post("/1.0/me/order/" + orderId + "/pay",
                "{\"paymentId\":\"pay-" + Long.toHexString(ids.nextLong()) + "\"}"));

        List<Http.Answer> accepted = answers.stream().filter(a -> a.status() == 200).toList();
        assertThat(accepted).hasSize(1);
        assertThat(answers).filteredOn(a -> a.status() != 200).allSatisfy(a -> {
            assertThat(a.status()).as(a.body()).isEqualTo(409);
            assertThat(a.json().path("type").asText()).endsWith("/already-paid");
        });
        assertThat(get("/1.0/me/order/" + orderId).path("paymentId").asText())
                .isEqualTo(accepted.get(0).json().path("paymentId").asText());
        assertThat(count("otb-pg-pay", "migration.paid")).isEqualTo(1);
        assertThat(count("otb-pg-pay", "refund.established")).isEqualTo(1);
        assertThat(get("/1.0/overTheBox/otb-pg-pay").path("desiredGeneration").asLong()).isEqualTo(2);
    }

    @Test
    @Order(4)
    void anIdempotencyKeyReplaysTheFirstOrderAndRefusesAnotherBody() throws Exception {
        createService("otb-pg-idem", "198.51.100.92", null);

        Http.Answer first = http().post("/1.0/overTheBox/otb-pg-idem/migration/changeOffers", TO_BUSINESS, "pg-idem-1");
        Http.Answer retry = http().post("/1.0/overTheBox/otb-pg-idem/migration/changeOffers", TO_BUSINESS, "pg-idem-1");
        Http.Answer other = http().post("/1.0/overTheBox/otb-pg-idem/migration/changeOffers",
                "{\"offer\":\"starter.v1\",\"acceptedContracts\":" + CONTRACTS + "}", "pg-idem-1");

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.replayed()).isFalse();
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.replayed()).isTrue();
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(other.status()).as(other.body()).isEqualTo(422);
        assertThat(count("otb-pg-idem", "migration.ordered")).isEqualTo(1);
    }

    @Test
    @Order(4)
    void fiftyConcurrentRequestsWithOneIdempotencyKeyGetTheOneFirstAnswer() throws Exception {
        createService("otb-pg-idem-race", "198.51.100.93", null);

        // on PostgreSQL the losers' INSERT of the key waits for the winner's commit, then hits the unique key
        List<Http.Answer> answers = race(() -> http().post("/1.0/overTheBox/otb-pg-idem-race/migration/changeOffers",
                TO_BUSINESS, "pg-idem-race"));

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).as(a.body()).isEqualTo(200));
        assertThat(answers).extracting(Http.Answer::body).containsOnly(answers.get(0).body());
        assertThat(answers).filteredOn(a -> !a.replayed()).hasSize(1);
        assertThat(count("otb-pg-idem-race", "migration.ordered")).isEqualTo(1);
    }

    @Test
    @Order(5)
    void aNewInstanceOnTheSameDatabaseKeepsEverythingAndServesOn() throws Exception {
        JsonNode serviceBefore = get("/1.0/overTheBox/otb-pg");
        JsonNode migrationBefore = get("/1.0/overTheBox/otb-pg/migration");
        JsonNode auditBefore = get("/1.0/overTheBox/otb-pg/audit?limit=1000");
        JsonNode orderBefore = get("/1.0/me/order/" + paidOrder);
        Http.Answer orderedBefore = http().post("/1.0/overTheBox/otb-pg-idem/migration/changeOffers", TO_BUSINESS,
                "pg-idem-1");

        server.restart();

        assertThat(durable(get("/1.0/overTheBox/otb-pg"))).isEqualTo(durable(serviceBefore));
        assertThat(get("/1.0/overTheBox/otb-pg/migration")).isEqualTo(migrationBefore);
        assertThat(get("/1.0/overTheBox/otb-pg/audit?limit=1000")).containsAll(auditBefore);
        assertThat(get("/1.0/me/order/" + paidOrder)).isEqualTo(orderBefore);
        assertThat(get("/1.0/me/refund?orderId=" + paidOrder)).hasSize(1);
        Http.Answer replayed = http().post("/1.0/overTheBox/otb-pg-idem/migration/changeOffers", TO_BUSINESS, "pg-idem-1");
        assertThat(replayed.replayed()).isTrue();
        assertThat(replayed.body()).isEqualTo(orderedBefore.body());

        // the box found the new instance by itself, said hello with generation 2 and needs nothing more
        box.await(Welcome.class, DEADLINE);
        await().atMost(DEADLINE).until(() -> server.server().gateway().registry().isConnected("OTB3-PG0001"));
        assertThat(box.applied().generation()).isEqualTo(2);

        // and the new instance changes the offer again and pushes it over mTLS
        Http.Answer changed = post("/1.0/admin/services/otb-pg/desiredOffer", "{\"offer\":\"starter.v1\"}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);
        Confirm confirm = box.awaitConfirm(3, DEADLINE);
        assertThat(confirm.generation()).isEqualTo(3);
        assertThat(box.applied().offer()).isEqualTo("starter.v1");
        assertThat(box.applied().serviceIp()).isEqualTo("2001:db8::5");
    }

    @Test
    @Order(6)
    void aShippedBoxThatReachesTheNewInstanceTakesTheServiceAndItsIpOver() throws Exception {
        Http.Answer contact = post("/1.0/me/contact", "{\"name\":\"Ada Lovelace\",\"street\":\"1 rue de la Paix\","
                + "\"postcode\":\"75002\",\"city\":\"Paris\",\"country\":\"FR\",\"phone\":\"+33123456789\","
                + "\"default\":true}");
        assertThat(contact.status()).as(contact.body()).isEqualTo(200);
        Http.Answer ordered = post("/1.0/overTheBox/otb-pg/migration/changeOffers", "{\"offer\":\"business.v1\","
                + "\"hardwareName\":\"otbv3\",\"shippingContactID\":" + contact.json().path("id").asLong() + ","
                + "\"shippingMethod\":\"mondialRelay\",\"shippingRelayID\":\"FR-075001\",\"acceptedContracts\":"
                + CONTRACTS + "}");
        assertThat(ordered.status()).as(ordered.body()).isEqualTo(200);
        long orderId = ordered.json().path("orderId").asLong();
        assertThat(post("/1.0/me/order/" + orderId + "/pay", "{\"paymentId\":\"pay-pg-box\"}").status()).isEqualTo(200);
        assertThat(post("/1.0/admin/devices", "{\"serial\":\"OTB3-PG0002\",\"model\":\"v3\"}").status()).isEqualTo(201);
        Http.Answer shipped = post("/1.0/me/order/" + orderId + "/shipment", "{\"deviceId\":\"OTB3-PG0002\"}");
        assertThat(shipped.status()).as(shipped.body()).isEqualTo(200);
        assertThat(get("/1.0/overTheBox/otb-pg").path("offer").asText()).as("nothing moves before the box arrives")
                .isEqualTo("starter.v1");

        shippedBox = server.box("OTB3-PG0002", "v3").connect(server.agentPort());

        shippedBox.awaitConfirm(4, DEADLINE);
        assertThat(shippedBox.applied().offer()).isEqualTo("business.v1");
        assertThat(shippedBox.applied().serviceIp()).isEqualTo("2001:db8::5");
        box.await(Decommission.class, DEADLINE);
        await().atMost(DEADLINE).until(() -> get("/1.0/overTheBox/otb-pg/migration").path("profileApplied").asBoolean());
        JsonNode done = get("/1.0/overTheBox/otb-pg/migration");
        assertThat(done.path("state").asText()).isEqualTo("done");
        assertThat(done.path("boundDeviceId").asText()).isEqualTo("OTB3-PG0002");
        assertThat(get("/1.0/overTheBox/otb-pg").at("/device/deviceId").asText()).isEqualTo("OTB3-PG0002");
    }

    @Test
    @Order(7)
    void theReadRoutesRevocationAndCancellationAnswerAsOnH2() throws Exception {
        for (String path : List.of("/healthz", "/metrics", "/1.0/admin/fleet", "/1.0/admin/audit?serviceName=otb-pg",
                "/1.0/admin/audit?deviceId=OTB3-PG0002&after=1&limit=5", "/1.0/admin/devices/OTB3-PG0002",
                "/1.0/overTheBox/otb-pg/tasks", "/1.0/overTheBox/otb-pg/migration/offers", "/1.0/me/contact",
                "/1.0/me/refund", "/1.0/openapi.json")) {
            assertThat(http().get(path).status()).as(path).isEqualTo(200);
        }
        JsonNode fleet = get("/1.0/admin/fleet");
        assertThat(fleet.path("services").asLong()).isEqualTo(5);
        assertThat(fleet.path("outOfSync").asLong()).isZero();
        assertThat(get("/1.0/me/refund")).hasSize(3);

        long unpaid = get("/1.0/overTheBox/otb-pg-race/migration").path("orderId").asLong();
        Http.Answer cancelled = post("/1.0/me/order/" + unpaid + "/cancel", null);
        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        assertThat(get("/1.0/me/order/" + unpaid).path("status").asText()).isEqualTo("cancelled");
        order("otb-pg-race");

        Http.Answer revoked = post("/1.0/admin/devices/OTB3-PG0002/revoke", "{\"reason\":\"stolen\"}");
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        assertThat(get("/1.0/admin/devices/OTB3-PG0002").path("state").asText()).isEqualTo("revoked");
        shippedBox.closeFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }
}
