package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.otb.protocol.pki.Pem;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev-only {@code --clock-start}: the real server, started on a chosen day, bills an offer change on that day, so a
 * refund on 29 February or on the last day of a 31-day month can be shown with the server alone.
 */
class ClockStartTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aChangePaidOn29FebruaryRefundsOneDayOf29(@TempDir Path dir) throws Exception {
        // 1999 × 1 / 29 = 68.93 → 69
        JsonNode refund = changeOfferOn(dir, "2028-02-29T10:00:00Z");
        assertThat(refund.path("effectiveDate").asText()).isEqualTo("2028-02-29");
        assertThat(refund.path("daysInMonth").asInt()).isEqualTo(29);
        assertThat(refund.path("refundedDays").asInt()).isEqualTo(1);
        assertThat(refund.at("/amount/cents").asLong()).isEqualTo(69);
    }

    @Test
    void aChangePaidOnTheLastDayOfA31DayMonthRefundsOneDayOf31(@TempDir Path dir) throws Exception {
        // 1999 × 1 / 31 = 64.48 → 64
        JsonNode refund = changeOfferOn(dir, "2026-12-31T10:00:00Z");
        assertThat(refund.path("effectiveDate").asText()).isEqualTo("2026-12-31");
        assertThat(refund.path("daysInMonth").asInt()).isEqualTo(31);
        assertThat(refund.path("refundedDays").asInt()).isEqualTo(1);
        assertThat(refund.at("/amount/cents").asLong()).isEqualTo(64);
    }

    /** Starts the server with its clock at {@code start}, changes a Starter service to Business, returns the refund. */
    private static JsonNode changeOfferOn(Path dir, String start) throws Exception {
        try (ChildServer child = ChildServer.start(dir, "--clock-start", start)) {
            assertThat(child.output()).contains("DEV ONLY: the clock starts at " + start);
            List<X509Certificate> ca = Pem.readCertificates(dir.resolve("pki/ca.crt"));
            assertThat(ca.get(0).getNotBefore().toInstant()).as("certificates keep the real time")
                    .isBefore(Instant.now());
            Http http = child.http();
            Http.Answer service = http.post("/1.0/admin/services", JSON.writeValueAsString(Map.of("serviceName", "otb-1",
                    "account", "acct-1", "offer", "starter.v1", "serviceIp", "203.0.113.7")));
            assertThat(service.status()).as(service.body()).isEqualTo(201);
            Http.Answer quote = http.get("/1.0/order/overTheBox/otb-1/migrate?offer=business.v1");
            List<String> contracts = new ArrayList<>();
            quote.json().path("contracts").forEach(c -> contracts.add(c.path("name").asText()));
            Http.Answer order = http.post("/1.0/overTheBox/otb-1/migration/changeOffers", JSON.writeValueAsString(
                    Map.of("offer", "business.v1", "acceptedContracts", contracts)));
            // 200, as OVH's API answers it (its clients treat any other status as an error)
            assertThat(order.status()).as(order.body()).isEqualTo(200);
            Http.Answer paid = http.post("/1.0/me/order/" + order.json().path("orderId").asLong() + "/pay", "{}");
            assertThat(paid.status()).as(paid.body()).isEqualTo(200);
            Http.Answer migration = http.get("/1.0/overTheBox/otb-1/migration");
            assertThat(migration.json().path("state").asText()).as(migration.body()).isEqualTo("done");
            assertThat(migration.json().path("effectiveDate").asText()).isEqualTo(start.substring(0, 10));
            return migration.json().path("refund");
        }
    }
}
