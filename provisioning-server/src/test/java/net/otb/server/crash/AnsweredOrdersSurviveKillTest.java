package net.otb.server.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault campaign's lost payments (docs/reliability.md, "What it found"), outside the campaign: the server on
 * the embedded H2 store runs as a child JVM, answers an offer change and its payment, and is SIGKILLed right after
 * the payment's answer, then restarted on the same folder, again and again. Every order answered by any of the
 * killed processes must still be there, paid, with its generation; the service's generations run without a gap.
 */
class AnsweredOrdersSurviveKillTest {

    /**
     * Kill cycles, {@code -Dotb.killCycles=N}; 8 by default (~3 s each), in every build: the loss it catches showed
     * about once in 7 to 13 cycles on H2 2.5.252, none in 20 and 40 on the pinned 2.3.232 (docs/reliability.md). Run
     * it with 40 before moving H2 up.
     */
    private static final int CYCLES = Integer.getInteger("otb.killCycles", 8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVICE = "otb-kill-1";

    @Test
    void everyOrderAnsweredBeforeASigkillIsStillThereAfterTheRestart(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(CYCLES > 0, "switched off with -Dotb.killCycles=0 (docs/reliability.md, What it found); "
                + "8 cycles by default");
        // -Dotb.killDir=DIR keeps the folder, and a copy of the file as each kill left it (killed-N.mv.db)
        String keep = System.getProperty("otb.killDir");
        Path dir = keep == null ? tmp : Path.of(keep);
        List<long[]> answered = new ArrayList<>();
        String offer = "starter.v1";
        ChildServer child = ChildServer.start(dir);
        try {
            Http http = child.http();
            Http.Answer created = http.post("/1.0/admin/services", JSON.writeValueAsString(Map.of("serviceName",
                    SERVICE, "account", "acct-kill", "offer", offer, "serviceIp", "203.0.113.9")));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                offer = offer.equals("starter.v1") ? "business.v1" : "starter.v1";
                Http.Answer order = http.post("/1.0/overTheBox/" + SERVICE + "/migration/changeOffers",
                        JSON.writeValueAsString(Map.of("offer", offer, "acceptedContracts", contracts(http, offer))),
                        "kill-order-" + cycle);
                assertThat(order.status()).as(order.body()).isEqualTo(200);
                long orderId = order.json().path("orderId").asLong();
                Http.Answer paid = http.post("/1.0/me/order/" + orderId + "/pay", "{\"paymentId\":\"pay-" + cycle + "\"}",
                        "kill-pay-" + cycle);
                assertThat(paid.status()).as(paid.body()).isEqualTo(200);
                assertThat(paid.json().path("status").asText()).isEqualTo("paid");
                answered.add(new long[] {orderId, cycle + 2});

                // SIGKILL right after the answer, or (every other cycle) once the server had 1.5 s to write it:
                // the campaign lost payments both ways
                if (cycle % 2 == 1) {
                    TimeUnit.MILLISECONDS.sleep(1500);
                }
                child.kill();
                if (keep != null) {
                    Files.copy(dir.resolve("otb.mv.db"), dir.resolve("killed-" + cycle + ".mv.db"));
                }
                child = ChildServer.start(dir);
                http = child.http();
                for (long[] each : answered) {
                    Http.Answer stored = http.get("/1.0/me/order/" + each[0]);
                    assertThat(stored.status()).as("cycle %d: order %d after the restart: %s", cycle, each[0],
                            stored.body()).isEqualTo(200);
                    assertThat(stored.json().path("status").asText()).as("order %d", each[0]).isEqualTo("paid");
                }
                JsonNode service = http.get("/1.0/overTheBox/" + SERVICE).json();
                assertThat(service.path("desiredGeneration").asLong()).as("cycle %d", cycle).isEqualTo(cycle + 2);
                System.out.printf("kill cycle %d: %d answered orders, all paid after the restart%n", cycle + 1,
                        answered.size());
            }
        } finally {
            child.close();
        }
    }

    private static List<String> contracts(Http http, String offer) throws Exception {
        List<String> names = new ArrayList<>();
        http.get("/1.0/order/overTheBox/" + SERVICE + "/migrate?offer=" + offer).json().path("contracts")
                .forEach(c -> names.add(c.path("name").asText()));
        return names;
    }
}
