package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.otb.server.migration.Harness.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offer changes with a new box: the old box keeps the old profile until the shipped box connects with its own
 * certificate; then the service (same IP) moves to it with the new profile and the old box is decommissioned.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OfferChangeWithBoxTest {

    private Harness harness;
    private long home;

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        harness = new Harness(dataDir, Instant.parse("2026-03-01T08:00:00Z")).start();
        Answer contact = harness.post("/1.0/me/contact", Map.of("name", "Ada Lovelace", "street", "1 rue de la Paix",
                "postcode", "75002", "city", "Paris", "country", "FR", "phone", "+33123456789", "default", true));
        home = contact.json().path("id").asLong();
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    private static Map<String, Object> body(Object... pairs) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            body.put((String) pairs[i], pairs[i + 1]);
        }
        return body;
    }

    /** Orders {@code offer} with an otbv3 box, accepting the quote's contracts. */
    private long orderWithBox(String service, String offer, String method, String relay) {
        Answer quote = harness.get("/1.0/order/overTheBox/" + service + "/migrate?offer=" + offer
                + "&hardware=otbv3&shippingContactID=" + home);
        assertThat(quote.status()).as(quote.toString()).isEqualTo(200);
        Map<String, Object> request = body("offer", offer, "hardwareName", "otbv3", "shippingContactID", home,
                "shippingMethod", method, "acceptedContracts", OfferChangeWithoutBoxTest.contractNames(quote.json()));
        if (relay != null) {
            request.put("shippingRelayID", relay);
        }
        Answer created = harness.post("/1.0/overTheBox/" + service + "/migration/changeOffers", request);
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.json().at("/amount/cents").asLong())
                .isEqualTo(quote.json().at("/firstPayment/cents").asLong());
        return created.json().path("orderId").asLong();
    }

    private void assertProblem(Answer answer, int status, String code, String... words) {
        assertThat(answer.status()).as(answer.toString()).isEqualTo(status);
        assertThat(answer.problemType()).endsWith("/" + code);
        assertThat(answer.detail()).contains(words);
    }

    private List<String> auditActions(String service) {
        List<String> actions = new ArrayList<>();
        harness.get("/1.0/overTheBox/" + service + "/audit?limit=1000").json()
                .forEach(e -> actions.add(e.path("action").asText()));
        return actions;
    }

    @Test
    @Order(1)
    void theOldBoxKeepsTheOldProfileUntilTheNewBoxConnectsThenTheServiceMovesWithItsIp() throws Exception {
        TestBox old = harness.online(harness.box("OTB2B-100001", "v2b"));
        harness.service("otb-box", "starter.v1", "203.0.113.100", "OTB2B-100001");
        harness.awaitApplied(old, "starter.v1", 1);

        long orderId = orderWithBox("otb-box", "business.v1", "mondialRelay", "FR-075001");
        Answer order = harness.get("/1.0/me/order/" + orderId);
        assertThat(order.json().at("/amount/cents").asLong()).isEqualTo(3999 + 24999);
        assertThat(order.json().at("/amount/text").asText()).isEqualTo("289.98 €");
        assertThat(order.json().at("/migration/shippingMethod").asText()).isEqualTo("mondialRelay");
        assertThat(order.json().at("/migration/shippingRelayID").asText()).isEqualTo("FR-075001");

        TestBox fresh = harness.box("OTB3-100002", "v3");
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-100002")), 409,
                "order-not-paid", "once its order is paid");

        harness.today("2026-03-03");
        Answer paid = harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-box-1"));
        assertThat(paid.status()).isEqualTo(200);
        assertThat(paid.json().at("/migration/state").asText()).isEqualTo("awaitingDelivery");
        assertThat(paid.json().at("/migration/oldDeviceId").asText()).isEqualTo("OTB2B-100001");

        Answer shipped = harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-100002"));
        assertThat(shipped.status()).as(shipped.toString()).isEqualTo(200);
        assertThat(shipped.json().at("/migration/state").asText()).isEqualTo("shipped");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-100002")).status())
                .as("the same shipment twice").isEqualTo(200);

        Answer waiting = harness.get("/1.0/overTheBox/otb-box/migration");
        assertThat(waiting.json().path("state").asText()).isEqualTo("shipped");
        assertThat(waiting.json().has("refund")).isFalse();
        assertThat(waiting.json().has("effectiveDate")).isFalse();
        Answer service = harness.get("/1.0/overTheBox/otb-box");
        assertThat(service.json().path("offer").asText()).isEqualTo("starter.v1");
        assertThat(service.json().path("desiredGeneration").asLong()).isEqualTo(1);
        assertThat(old.applied().offer()).isEqualTo("starter.v1");
        assertThat(old.pushedGenerations()).containsExactly(1L);

        harness.today("2026-03-20");
        harness.online(fresh);
        harness.awaitApplied(fresh, "business.v1", 2);
        assertThat(fresh.applied().serviceIp()).isEqualTo("203.0.113.100");
        assertThat(fresh.applied().downKbps()).isEqualTo(1_000_000);
        await().atMost(Harness.DEADLINE).until(() -> old.decommissioned() != null);
        assertThat(old.pushedGenerations()).as("the old box never got the new offer").containsExactly(1L);

        await().atMost(Harness.DEADLINE).until(() -> harness.get("/1.0/overTheBox/otb-box/migration").json()
                .path("profileApplied").asBoolean());
        Answer done = harness.get("/1.0/overTheBox/otb-box/migration");
        assertThat(done.json().path("state").asText()).isEqualTo("done");
        assertThat(done.json().path("effectiveDate").asText()).isEqualTo("2026-03-20");
        assertThat(done.json().path("boundDeviceId").asText()).isEqualTo("OTB3-100002");
        // 1999 × (31 − 20 + 1) / 31 = 773.81 → 774
        assertThat(done.json().at("/refund/amount/cents").asLong()).isEqualTo(774);
        Answer moved = harness.get("/1.0/overTheBox/otb-box");
        assertThat(moved.json().path("serviceIp").asText()).isEqualTo("203.0.113.100");
        assertThat(moved.json().at("/device/deviceId").asText()).isEqualTo("OTB3-100002");
        assertThat(auditActions("otb-box")).containsSubsequence("migration.ordered", "migration.paid",
                "migration.shipped", "service.bound", "migration.received", "desired.changed", "migration.done",
                "refund.established");

        fresh.disconnect();
        harness.online(fresh);
        await().atMost(Harness.DEADLINE).until(() -> fresh.confirmed() >= 2);
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).as("a reconnect refunds nothing more")
                .hasSize(1);
    }

    @Test
    @Order(2)
    void theSameOfferWithABoxMovesTheServiceToTheNewBox() throws Exception {
        TestBox old = harness.online(harness.box("OTB2C-200001", "v2c"));
        harness.service("otb-same", "business.v1", "203.0.113.101", "OTB2C-200001");
        harness.awaitApplied(old, "business.v1", 1);

        long orderId = orderWithBox("otb-same", "business.v1", "dhl", null);
        harness.today("2026-04-02");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);
        TestBox fresh = harness.box("OTB3-200002", "v3");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-200002")).status())
                .isEqualTo(200);

        harness.today("2026-04-10");
        harness.online(fresh);
        harness.awaitApplied(fresh, "business.v1", 2);
        assertThat(fresh.applied().serviceIp()).isEqualTo("203.0.113.101");
        await().atMost(Harness.DEADLINE).until(() -> old.decommissioned() != null);
        // 3999 × (30 − 10 + 1) / 30 = 2799.3 → 2799
        assertThat(harness.get("/1.0/overTheBox/otb-same/migration").json().at("/refund/amount/cents").asLong())
                .isEqualTo(2799);
    }

    @Test
    @Order(3)
    void aShipmentNamesARegisteredUnusedBoxOfTheOrderedModel() throws Exception {
        harness.box("OTB2C-300001", "v2c");
        harness.service("otb-ship", "starter.v1", "203.0.113.102", "OTB2C-300001");
        harness.box("OTB3-300009", "v3");
        harness.service("otb-other", "starter.v1", "203.0.113.103", "OTB3-300009");
        harness.box("OTB2C-300003", "v2c");
        harness.box("OTB3-300004", "v3");
        harness.box("OTB3-300005", "v3");

        long orderId = orderWithBox("otb-ship", "business.v1", "dhl", null);
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);
        String path = "/1.0/me/order/" + orderId + "/shipment";
        assertProblem(harness.post(path, body("deviceId", "OTB3-NOPE")), 409, "unknown-device", "not registered");
        assertProblem(harness.post(path, body("deviceId", "OTB3 300004; DROP")), 400, "invalid-field", "box serial");
        assertProblem(harness.post(path, body("deviceId", "OTB2C-300003")), 409, "wrong-model", "otbv3",
                "is a v2c");
        assertProblem(harness.post(path, body("deviceId", "OTB3-300009")), 409, "device-in-use", "otb-other");
        assertProblem(harness.post(path, body("deviceId", "OTB2C-300001")), 409, "wrong-model", "is a v2c");
        assertThat(harness.get("/1.0/overTheBox/otb-ship/migration").json().path("state").asText())
                .isEqualTo("awaitingDelivery");

        assertThat(harness.post(path, body("deviceId", "OTB3-300004")).status()).isEqualTo(200);
        assertProblem(harness.post(path, body("deviceId", "OTB3-300005")), 409, "already-shipped", "OTB3-300004");
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/cancel", null), 409, "order-paid", "cannot be cancelled");
    }

    @Test
    @Order(4)
    void aMigrationPaidBeforeARestartCompletesWhenTheBoxConnectsAfterIt() throws Exception {
        TestBox old = harness.online(harness.box("OTB2B-400001", "v2b"));
        harness.service("otb-restart", "starter.v1", "2001:db8::400", "OTB2B-400001");
        harness.awaitApplied(old, "starter.v1", 1);
        String ip = old.applied().serviceIp();

        long orderId = orderWithBox("otb-restart", "business.v1", "dhl", null);
        harness.today("2026-05-05");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-r")).status())
                .isEqualTo(200);
        harness.restart();
        TestBox fresh = harness.box("OTB3-400002", "v3");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-400002")).status())
                .isEqualTo(200);
        harness.restart();
        old.disconnect();
        harness.online(old);
        assertThat(harness.get("/1.0/overTheBox/otb-restart").json().path("offer").asText()).isEqualTo("starter.v1");

        harness.today("2026-05-31");
        harness.online(fresh);
        harness.awaitApplied(fresh, "business.v1", 2);
        assertThat(fresh.applied().serviceIp()).isEqualTo(ip);
        await().atMost(Harness.DEADLINE).until(() -> old.decommissioned() != null);
        JsonNode migration = harness.get("/1.0/overTheBox/otb-restart/migration").json();
        assertThat(migration.path("state").asText()).isEqualTo("done");
        assertThat(migration.path("effectiveDate").asText()).isEqualTo("2026-05-31");
        // 1999 × 1 / 31 = 64.48 → 64
        assertThat(migration.at("/refund/amount/cents").asLong()).isEqualTo(64);
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-r")).status())
                .as("billing's retry after the restart changes nothing").isEqualTo(200);
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).hasSize(1);
    }

    @Test
    @Order(5)
    void aShippedBoxThatAnOperatorBoundElsewhereStillConnectsAndTheMigrationWaitsSayingWhy() throws Exception {
        harness.box("OTB2C-500001", "v2c");
        harness.service("otb-blocked", "starter.v1", "203.0.113.150", "OTB2C-500001");
        harness.service("otb-elsewhere", "starter.v1", "203.0.113.151", null);
        long orderId = orderWithBox("otb-blocked", "business.v1", "dhl", null);
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);
        TestBox fresh = harness.box("OTB3-500002", "v3");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-500002")).status())
                .isEqualTo(200);
        assertThat(harness.post("/1.0/admin/services/otb-elsewhere/device", body("deviceId", "OTB3-500002")).status())
                .isEqualTo(200);

        harness.online(fresh);
        harness.awaitApplied(fresh, "starter.v1", 1);
        assertThat(fresh.applied().serviceName()).isEqualTo("otb-elsewhere");
        assertThat(harness.get("/1.0/overTheBox/otb-blocked/migration").json().path("state").asText())
                .isEqualTo("shipped");
        assertThat(auditActions("otb-blocked")).contains("migration.blocked");
        assertThat(harness.get("/1.0/overTheBox/otb-blocked").json().path("offer").asText()).isEqualTo("starter.v1");
    }
}
