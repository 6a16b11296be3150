package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.otb.server.migration.Harness.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every forbidden path of the offer change answers a clear problem and changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfferChangeRefusalsTest {

    private static final List<String> ALL_CONTRACTS = List.of("otb-general-conditions",
            "otb-business-special-conditions", "otb-starter-special-conditions");

    private Harness harness;
    private long homeContact;

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        harness = new Harness(dataDir, Instant.parse("2026-05-04T09:00:00Z")).start();
        harness.service("otb-r", "starter.v1", "192.0.2.10", null);
        harness.service("otb-suspended", "starter.v1", "192.0.2.11", null, "suspended");
        Answer contact = harness.post("/1.0/me/contact", Map.of("name", "Ada Lovelace", "street", "1 rue de la Paix",
                "postcode", "75002", "city", "Paris", "country", "FR", "phone", "+33 1 23 45 67 89", "default", true));
        assertThat(contact.status()).as(contact.toString()).isEqualTo(200);
        homeContact = contact.json().path("id").asLong();
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    private Answer changeOffers(String service, Map<String, Object> body) {
        return harness.post("/1.0/overTheBox/" + service + "/migration/changeOffers", body);
    }

    private static Map<String, Object> body(Object... pairs) {
        Map<String, Object> body = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            body.put((String) pairs[i], pairs[i + 1]);
        }
        return body;
    }

    private void assertProblem(Answer answer, int status, String code, String... words) {
        assertThat(answer.status()).as(answer.toString()).isEqualTo(status);
        assertThat(answer.headers().get("content-type")).anySatisfy(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(answer.problemType()).endsWith("/" + code);
        assertThat(answer.detail()).contains(words);
    }

    private void assertNothingOrdered(String service) {
        Answer migration = harness.get("/1.0/overTheBox/" + service + "/migration");
        assertThat(migration.status()).as("no migration for " + service).isEqualTo(404);
        assertThat(migration.problemType()).endsWith("/no-migration");
        assertThat(harness.get("/1.0/overTheBox/" + service).json().path("desiredGeneration").asLong()).isEqualTo(1);
    }

    @Test
    void aLegacyTargetIsRefused() {
        assertProblem(harness.get("/1.0/order/overTheBox/otb-r/migrate?offer=plus.v1"), 409, "legacy-offer",
                "plus.v1 is a legacy offer");
        assertProblem(changeOffers("otb-r", body("offer", "plus.v1", "acceptedContracts", ALL_CONTRACTS)), 409,
                "legacy-offer", "cannot be ordered");
        assertNothingOrdered("otb-r");
    }

    @Test
    void anInactiveServiceIsRefusedWithItsStatus() {
        assertProblem(harness.get("/1.0/overTheBox/otb-suspended/migration/offers"), 409, "service-not-active",
                "otb-suspended is suspended", "only an active service");
        assertProblem(changeOffers("otb-suspended", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS)),
                409, "service-not-active", "suspended");
        assertNothingOrdered("otb-suspended");
    }

    @Test
    void missingContractsAreNamed() {
        Answer answer = changeOffers("otb-r", body("offer", "business.v1", "acceptedContracts",
                List.of("otb-general-conditions")));
        assertProblem(answer, 409, "contracts-not-accepted", "otb-business-special-conditions");
        assertThat(answer.json().path("missingContracts")).hasSize(1);
        assertThat(answer.json().path("missingContracts").get(0).asText()).isEqualTo("otb-business-special-conditions");
        assertNothingOrdered("otb-r");
    }

    @Test
    void aBoxWithoutAnAddressAndMondialRelayWithoutARelayAreRefused() {
        assertProblem(changeOffers("otb-r", body("offer", "business.v1", "hardwareName", "otbv3",
                "acceptedContracts", ALL_CONTRACTS)), 409, "shipping-contact-required", "a box needs a shipping contact");
        assertProblem(changeOffers("otb-r", body("offer", "business.v1", "hardwareName", "otbv3",
                "shippingContactID", homeContact, "shippingMethod", "mondialRelay", "acceptedContracts", ALL_CONTRACTS)),
                409, "relay-required", "mondialRelay needs shippingRelayID");
        assertProblem(changeOffers("otb-r", body("offer", "business.v1", "hardwareName", "otbv3",
                "shippingContactID", 999_999, "acceptedContracts", ALL_CONTRACTS)), 400, "unknown-contact",
                "shipping contact 999999 does not exist");
        assertNothingOrdered("otb-r");
    }

    @Test
    void theSameOfferWithoutABoxIsRefused() {
        assertProblem(changeOffers("otb-r", body("offer", "starter.v1", "acceptedContracts", ALL_CONTRACTS)), 409,
                "same-offer-needs-box", "only be ordered with a box");
        assertNothingOrdered("otb-r");
    }

    @Test
    void unknownServicesOrdersAndOffersAreNotFoundOrInvalid() {
        assertProblem(harness.get("/1.0/overTheBox/otb-nobody/migration/offers"), 404, "unknown-service",
                "no service otb-nobody");
        assertProblem(changeOffers("otb-nobody", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS)),
                404, "unknown-service", "otb-nobody");
        assertProblem(harness.get("/1.0/me/order/424242"), 404, "unknown-order", "no order 424242");
        assertProblem(harness.post("/1.0/me/order/424242/pay", null), 404, "unknown-order", "424242");
        assertProblem(harness.post("/1.0/me/order/424242/cancel", null), 404, "unknown-order", "424242");
        assertProblem(harness.get("/1.0/me/order/abc"), 400, "invalid-field", "orderId must be a positive integer");
        assertProblem(harness.get("/1.0/order/overTheBox/otb-r/migrate?offer=gold.v9"), 400, "unknown-offer",
                "'gold.v9' is not in the catalog");
        assertProblem(harness.get("/1.0/order/overTheBox/otb-r/migrate"), 400, "invalid-field", "offer");
    }

    @Test
    void malformedBodiesAreRefusedClearly() {
        assertProblem(harness.post("/1.0/overTheBox/otb-r/migration/changeOffers", "{\"offer\": "), 400,
                "bad-request", "malformed JSON");
        assertProblem(harness.post("/1.0/overTheBox/otb-r/migration/changeOffers",
                "{\"offer\":\"business.v1\",\"acceptedContracts\":\"all\"}"), 400, "invalid-field", "acceptedContracts");
        assertProblem(harness.post("/1.0/me/order/1/shipment", "{}"), 400, "invalid-field", "deviceId");
        assertProblem(harness.post("/1.0/overTheBox/otb-r/migration/changeOffers",
                "{\"offer\":\"business.v1\",\"acceptedContracts\":[\"otb-general-conditions\",null]}"), 400,
                "invalid-field", "acceptedContracts[1]");
        assertProblem(changeOffers("otb-r", body("offer", "business.v1", "hardwareName", "otbv3",
                "shippingContactID", homeContact, "shippingMethod", "mondialRelay", "shippingRelayID", "R".repeat(65),
                "acceptedContracts", ALL_CONTRACTS)), 400, "invalid-field", "shippingRelayID");
        assertProblem(harness.post("/1.0/me/order/1/pay", "{\"paymentId\":\"\"}"), 400, "invalid-field",
                "paymentId");
        assertNothingOrdered("otb-r");
    }

    @Test
    void aSecondOpenMigrationIsRefusedUntilTheFirstIsCancelled() {
        harness.service("otb-two", "starter.v1", "192.0.2.12", null);
        Answer first = changeOffers("otb-two", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS));
        assertThat(first.status()).isEqualTo(200);
        long orderId = first.json().path("orderId").asLong();

        assertProblem(changeOffers("otb-two", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS)), 409,
                "open-migration", "already has an open migration");
        assertProblem(harness.get("/1.0/order/overTheBox/otb-two/migrate?offer=business.v1"), 409, "open-migration",
                "pay or cancel");

        Answer cancelled = harness.post("/1.0/me/order/" + orderId + "/cancel", null);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().path("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.json().at("/migration/state").asText()).isEqualTo("cancelled");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/cancel", null).status()).as("cancel twice").isEqualTo(200);

        assertProblem(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "late")), 409,
                "order-cancelled", "was cancelled", "refused");
        assertThat(harness.get("/1.0/me/order/" + orderId).json().path("status").asText()).isEqualTo("cancelled");
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).isEmpty();
        assertThat(harness.get("/1.0/overTheBox/otb-two").json().path("offer").asText()).isEqualTo("starter.v1");

        assertThat(changeOffers("otb-two", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS)).status())
                .as("a new order once the first is cancelled").isEqualTo(200);
    }

    @Test
    void aPaidOrderCannotBeCancelledNorPaidByAnotherPaymentNorForTheWrongAmount() {
        harness.service("otb-paid", "starter.v1", "192.0.2.13", null);
        long orderId = changeOffers("otb-paid", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS))
                .json().path("orderId").asLong();
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/pay", body("amountCents", 100)), 409,
                "amount-mismatch", "3999 cents", "100 cents");
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-1")).status()).isEqualTo(200);

        assertProblem(harness.post("/1.0/me/order/" + orderId + "/cancel", null), 409, "order-paid",
                "cannot be cancelled");
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-2")), 409,
                "already-paid", "pay-1");
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/shipment", body("deviceId", "OTB3-9")), 409,
                "no-box-ordered", "no box");
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).hasSize(1);
    }

    @Test
    void aPaymentWithoutIdThenOneWithAnIdAreTwoPaymentsAndTheSecondIsRefused() {
        harness.service("otb-noid", "starter.v1", "192.0.2.14", null);
        long orderId = changeOffers("otb-noid", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS))
                .json().path("orderId").asLong();
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);
        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).as("the same notification again")
                .isEqualTo(200);
        assertProblem(harness.post("/1.0/me/order/" + orderId + "/pay", body("paymentId", "pay-9")), 409,
                "already-paid", "without paymentId", "pay-9");
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).hasSize(1);
    }

    @Test
    void anOperatorsDirectOfferChangeIsRefusedWhileAnOrderIsOpenAndTheRefusalNamesTheOrder() {
        harness.service("otb-direct", "starter.v1", "192.0.2.15", null);
        long orderId = changeOffers("otb-direct", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS))
                .json().path("orderId").asLong();
        Answer direct = harness.post("/1.0/admin/services/otb-direct/desiredOffer", body("offer", "business.v1"));
        assertProblem(direct, 409, "open-migration", "order " + orderId, "nothing was changed");
        assertThat(direct.json().path("orderId").asLong()).isEqualTo(orderId);
        Answer bulk = harness.post("/1.0/admin/desiredOffers", body("offer", "business.v1",
                "serviceNames", List.of("otb-direct")));
        assertProblem(bulk, 409, "open-migration", "order " + orderId);
        assertThat(harness.get("/1.0/overTheBox/otb-direct").json().path("offer").asText()).isEqualTo("starter.v1");
        Answer second = changeOffers("otb-direct", body("offer", "business.v1", "acceptedContracts", ALL_CONTRACTS));
        assertProblem(second, 409, "open-migration", "order " + orderId);

        assertThat(harness.post("/1.0/me/order/" + orderId + "/pay", null).status()).isEqualTo(200);
        assertThat(harness.get("/1.0/overTheBox/otb-direct").json().path("offer").asText()).isEqualTo("business.v1");
        assertThat(harness.post("/1.0/admin/services/otb-direct/desiredOffer", body("offer", "starter.v1")).status())
                .as("once the order is done").isEqualTo(200);
    }

    @Test
    void contactsAreValidatedPerFieldAndTheDefaultComesFirst() {
        Answer bad = harness.post("/1.0/me/contact", body("name", "", "street", "2 avenue", "postcode", "7500!",
                "city", "Lyon", "country", "France", "phone", "04"));
        assertProblem(bad, 400, "invalid-fields", "name is required", "postcode", "ISO 3166", "international form");
        List<String> fields = new ArrayList<>();
        bad.json().path("fields").forEach(f -> fields.add(f.path("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("name", "postcode", "country", "phone");

        Answer other = harness.post("/1.0/me/contact", body("name", "Grace Hopper", "street", "3 quai",
                "postcode", "69002", "city", "Lyon", "country", "fr", "phone", "+33478000000"));
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.json().path("country").asText()).isEqualTo("FR");
        assertThat(other.json().path("default").asBoolean()).isFalse();

        Answer list = harness.get("/1.0/me/contact");
        assertThat(list.json().get(0).path("id").asLong()).isEqualTo(homeContact);
        assertThat(list.json().get(0).path("default").asBoolean()).isTrue();
        assertThat(harness.get("/1.0/me/contact/" + other.json().path("id").asLong()).json().path("name").asText())
                .isEqualTo("Grace Hopper");
    }
}
