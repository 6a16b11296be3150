package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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

/** Offer changes without a box, from the order system's HTTP calls to the profile the box applies over mTLS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OfferChangeWithoutBoxTest {

    private Harness harness;

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        harness = new Harness(dataDir, Instant.parse("2026-01-05T08:00:00Z")).start();
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    static List<String> contractNames(JsonNode quote) {
        List<String> names = new ArrayList<>();
        quote.path("contracts").forEach(c -> names.add(c.path("name").asText()));
        return names;
    }

    /** Orders {@code offer} for the service, accepting the quote's contracts; returns the order id. */
    static long order(Harness harness, String service, String offer) {
        Answer quote = harness.get("/1.0/order/overTheBox/" + service + "/migrate?offer=" + offer);
        assertThat(quote.status()).as(quote.toString()).isEqualTo(200);
        Answer created = harness.post("/1.0/overTheBox/" + service + "/migration/changeOffers",
                Map.of("offer", offer, "acceptedContracts", contractNames(quote.json())));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        return created.json().path("orderId").asLong();
    }

    @Test
    @Order(1)
    void starterToBusinessSwitchesAtOnceKeepsTheIpAndRefundsTheRestOfTheMonth() throws Exception {
        TestBox box = harness.online(harness.box("OTB2C-000001", "v2c"));
        harness.service("otb-sb", "starter.v1", "203.0.113.10", "OTB2C-000001");
        harness.awaitApplied(box, "starter.v1", 1);

        Answer offers = harness.get("/1.0/overTheBox/otb-sb/migration/offers");
        assertThat(offers.status()).isEqualTo(200);
        assertThat(offers.json().at("/currentOffer/offer").asText()).isEqualTo("starter.v1");
        JsonNode business = offers.json().path("offers").get(1);
        assertThat(business.path("offer").asText()).isEqualTo("business.v1");
        assertThat(business.at("/price/cents").asLong()).isEqualTo(3999);
        assertThat(business.at("/price/text").asText()).isEqualTo("39.99 €");
        assertThat(business.at("/price/value").decimalValue()).isEqualByComparingTo("39.99");
        assertThat(business.at("/currentOfferPrice/cents").asLong()).isEqualTo(1999);
        assertThat(business.at("/hardwares/0/hardwareName").asText()).isEqualTo("otbv3");
        assertThat(business.at("/hardwares/0/hardwarePrice/cents").asLong()).isEqualTo(24999);

        Answer quote = harness.get("/1.0/order/overTheBox/otb-sb/migrate?offer=business.v1");
        assertThat(quote.json().at("/monthlyPrice/cents").asLong()).isEqualTo(3999);
        assertThat(quote.json().at("/hardwarePrice/cents").asLong()).isZero();
        assertThat(quote.json().at("/firstPayment/cents").asLong()).isEqualTo(3999);
        assertThat(contractNames(quote.json())).containsExactly("otb-general-conditions",
                "otb-business-special-conditions");

        long orderId = order(harness, "otb-sb", "business.v1");
        Answer unpaid = harness.get("/1.0/me/order/" + orderId);
        assertThat(unpaid.json().path("status").asText()).isEqualTo("unpaid");
        assertThat(unpaid.json().at("/amount/cents").asLong()).isEqualTo(3999);
        assertThat(box.applied().offer()).as("nothing changes before payment").isEqualTo("starter.v1");

        harness.today("2026-04-15");
        Answer paid = harness.post("/1.0/me/order/" + orderId + "/pay", Map.of("paymentId", "pay-sb-1", "amountCents", 3999));
        assertThat(paid.status()).as(paid.toString()).isEqualTo(200);
        assertThat(paid.json().path("status").asText()).isEqualTo("paid");
        assertThat(paid.json().at("/migration/state").asText()).isEqualTo("done");

        harness.awaitApplied(box, "business.v1", 2);
        assertThat(box.applied().downKbps()).isEqualTo(1_000_000);
        assertThat(box.applied().upKbps()).isEqualTo(1_000_000);
        assertThat(box.applied().serviceIp()).isEqualTo("203.0.113.10");

        await().atMost(Harness.DEADLINE).until(() -> harness.get("/1.0/overTheBox/otb-sb/migration").json()
                .path("profileApplied").asBoolean());
        Answer migration = harness.get("/1.0/overTheBox/otb-sb/migration");
        assertThat(migration.json().path("state").asText()).isEqualTo("done");
        assertThat(migration.json().path("effectiveDate").asText()).isEqualTo("2026-04-15");
        assertThat(migration.json().path("generation").asLong()).isEqualTo(2);
        // 1999 × (30 − 15 + 1) / 30 = 1066.13… → 1066
        JsonNode refund = migration.json().path("refund");
        assertThat(refund.at("/amount/cents").asLong()).isEqualTo(1066);
        assertThat(refund.at("/oldMonthlyPrice/cents").asLong()).isEqualTo(1999);
        assertThat(refund.path("dayOfMonth").asInt()).isEqualTo(15);
        assertThat(refund.path("daysInMonth").asInt()).isEqualTo(30);
        assertThat(refund.path("refundedDays").asInt()).isEqualTo(16);

        Answer refunds = harness.get("/1.0/me/refund?orderId=" + orderId);
        assertThat(refunds.json()).hasSize(1);
        assertThat(refunds.json().get(0).at("/amount/cents").asLong()).isEqualTo(1066);

        Answer service = harness.get("/1.0/overTheBox/otb-sb");
        assertThat(service.json().path("offer").asText()).isEqualTo("business.v1");
        assertThat(service.json().path("serviceIp").asText()).isEqualTo("203.0.113.10");

        Answer again = harness.post("/1.0/me/order/" + orderId + "/pay", Map.of("paymentId", "pay-sb-1"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).as("the refund is established once").hasSize(1);
        assertThat(harness.get("/1.0/overTheBox/otb-sb").json().path("desiredGeneration").asLong()).isEqualTo(2);
    }

    @Test
    @Order(2)
    void businessToStarterAppliesFiveHundredMegabitsAndRefundsTheBusinessPrice() throws Exception {
        TestBox box = harness.online(harness.box("OTB3-000002", "v3"));
        harness.service("otb-bs", "business.v1", "2001:db8::20", "OTB3-000002");
        harness.awaitApplied(box, "business.v1", 1);
        String ipBefore = box.applied().serviceIp();

        long orderId = order(harness, "otb-bs", "starter.v1");
        harness.today("2027-02-10");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);

        harness.awaitApplied(box, "starter.v1", 2);
        assertThat(box.applied().downKbps()).isEqualTo(500_000);
        assertThat(box.applied().serviceIp()).isEqualTo(harness.get("/1.0/overTheBox/otb-bs").json().path("serviceIp")
                .asText()).isEqualTo(ipBefore);
        JsonNode refund = harness.get("/1.0/overTheBox/otb-bs/migration").json().path("refund");
        // 3999 × (28 − 10 + 1) / 28 = 2713.61 → 2714
        assertThat(refund.at("/amount/cents").asLong()).isEqualTo(2714);
        assertThat(refund.path("effectiveDate").asText()).isEqualTo("2027-02-10");
    }

    @Test
    @Order(3)
    void aLegacyOfferMovesToStarterAndIsNeverOffered() throws Exception {
        TestBox box = harness.online(harness.box("OTB2B-000003", "v2b"));
        harness.service("otb-plus", "plus.v1", "198.51.100.30", "OTB2B-000003");
        harness.awaitApplied(box, "plus.v1", 1);

        Answer offers = harness.get("/1.0/overTheBox/otb-plus/migration/offers");
        assertThat(offers.json().at("/currentOffer/offer").asText()).isEqualTo("plus.v1");
        assertThat(offers.json().at("/currentOffer/legacy").asBoolean()).isTrue();
        List<String> targets = new ArrayList<>();
        offers.json().path("offers").forEach(o -> targets.add(o.path("offer").asText()));
        assertThat(targets).containsExactly("starter.v1", "business.v1");

        long orderId = order(harness, "otb-plus", "starter.v1");
        harness.today("2028-02-29");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", Map.of("paymentId", "p-plus")).status())
                .isEqualTo(200);

        harness.awaitApplied(box, "starter.v1", 2);
        assertThat(box.applied().serviceIp()).isEqualTo("198.51.100.30");
        // the last day of a leap February: 2999 × 1 / 29 = 103.41 → 103
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json().get(0).at("/amount/cents").asLong())
                .isEqualTo(103);
        assertThat(harness.get("/1.0/overTheBox/otb-plus/migration/offers").json().at("/currentOffer/legacy")
                .asBoolean()).isFalse();
    }

    @Test
    @Order(4)
    void aBoxOfflineAtPaymentAppliesTheNewOfferWhenItComesBack() throws Exception {
        TestBox box = harness.online(harness.box("OTB3-000004", "v3"));
        harness.service("otb-off", "starter.v1", "203.0.113.40", "OTB3-000004");
        harness.awaitApplied(box, "starter.v1", 1);
        box.disconnect();

        long orderId = order(harness, "otb-off", "business.v1");
        harness.today("2028-04-30");
        Answer paid = harness.post("/1.0/me/order/" + orderId + "/pay", Map.of("paymentId", "p-off"));
        assertThat(paid.json().at("/migration/state").asText()).isEqualTo("done");
        assertThat(box.applied().offer()).isEqualTo("starter.v1");
        assertThat(harness.get("/1.0/overTheBox/otb-off/migration").json().at("/refund/amount/cents").asLong())
                .as("1999 × 1 / 30 = 66.63 → 67").isEqualTo(67);

        assertThat(harness.get("/1.0/overTheBox/otb-off/migration").json().path("profileApplied").asBoolean())
                .as("the offer switched but the box has not applied it yet").isFalse();

        harness.online(box);
        harness.awaitApplied(box, "business.v1", 2);
        assertThat(box.applied().serviceIp()).isEqualTo("203.0.113.40");
        await().atMost(Harness.DEADLINE).until(() -> harness.get("/1.0/overTheBox/otb-off/migration").json()
                .path("profileApplied").asBoolean());
    }

    @Test
    @Order(5)
    void anIdempotencyKeyReplaysTheFirstOrderInsteadOfMakingASecond() throws Exception {
        harness.service("otb-idem", "starter.v1", "203.0.113.50", null);
        Answer quote = harness.get("/1.0/order/overTheBox/otb-idem/migrate?offer=business.v1");
        Map<String, Object> body = Map.of("offer", "business.v1", "acceptedContracts", contractNames(quote.json()));

        Answer first = harness.post("/1.0/overTheBox/otb-idem/migration/changeOffers", body,
                Map.of("Idempotency-Key", "order-otb-idem-1"));
        Answer retry = harness.post("/1.0/overTheBox/otb-idem/migration/changeOffers", body,
                Map.of("Idempotency-Key", "order-otb-idem-1"));

        assertThat(first.status()).isEqualTo(200);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.json().path("orderId").asLong()).isEqualTo(first.json().path("orderId").asLong());
        assertThat(retry.headers()).containsKey("idempotent-replayed");
        Answer withoutKey = harness.post("/1.0/overTheBox/otb-idem/migration/changeOffers", body);
        assertThat(withoutKey.status()).isEqualTo(409);
        assertThat(withoutKey.problemType()).endsWith("/open-migration");
    }
}
