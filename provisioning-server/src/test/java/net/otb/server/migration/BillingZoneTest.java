package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import net.otb.server.migration.Harness.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The billing day is the day in the billing zone (Europe/Paris by default), not in UTC: a French customer paying at
 * 00:30 local time on the 1st is billed on the 1st, though it is still the 30th in UTC.
 */
class BillingZoneTest {

    @Test
    void aPaymentIsBilledOnTheDayInParisOnBothSidesOfItsMidnight(@TempDir Path dir) throws Exception {
        try (Harness harness = new Harness(dir, Instant.parse("2026-11-30T08:00:00Z")).start()) {
            harness.service("otb-before", "starter.v1", "203.0.113.61", null);
            harness.service("otb-after", "starter.v1", "203.0.113.62", null);
            long before = OfferChangeWithoutBoxTest.order(harness, "otb-before", "business.v1");
            long after = OfferChangeWithoutBoxTest.order(harness, "otb-after", "business.v1");

            // 22:59 UTC = 23:59 in Paris (CET, UTC+1): still 30 November, one day of 30 refunded
            harness.clock().set(Instant.parse("2026-11-30T22:59:00Z"));
            assertThat(harness.post("/1.0/me/order/" + before + "/pay", Map.of()).status()).isEqualTo(200);
            JsonNode refundBefore = done(harness, "otb-before", "2026-11-30");
            assertThat(refundBefore.path("dayOfMonth").asInt()).isEqualTo(30);
            assertThat(refundBefore.path("daysInMonth").asInt()).isEqualTo(30);
            // 1999 × 1 / 30 = 66.63 → 67
            assertThat(refundBefore.at("/amount/cents").asLong()).isEqualTo(67);

            // 23:30 UTC = 00:30 in Paris: 1 December, the whole month of 31 days refunded
            harness.clock().set(Instant.parse("2026-11-30T23:30:00Z"));
            assertThat(harness.post("/1.0/me/order/" + after + "/pay", Map.of()).status()).isEqualTo(200);
            JsonNode refundAfter = done(harness, "otb-after", "2026-12-01");
            assertThat(refundAfter.path("dayOfMonth").asInt()).isEqualTo(1);
            assertThat(refundAfter.path("daysInMonth").asInt()).isEqualTo(31);
            assertThat(refundAfter.path("refundedDays").asInt()).isEqualTo(31);
            assertThat(refundAfter.at("/amount/cents").asLong()).isEqualTo(1999);
        }
    }

    private static JsonNode done(Harness harness, String service, String effectiveDate) {
        Answer migration = harness.get("/1.0/overTheBox/" + service + "/migration");
        assertThat(migration.json().path("state").asText()).as(migration.toString()).isEqualTo("done");
        assertThat(migration.json().path("effectiveDate").asText()).isEqualTo(effectiveDate);
        JsonNode refund = migration.json().path("refund");
        assertThat(refund.path("effectiveDate").asText()).isEqualTo(effectiveDate);
        return refund;
    }
}
