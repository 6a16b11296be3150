package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.otb.protocol.BandwidthProfile;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /1.0/admin/desiredOffers} over a real socket, with real boxes over mTLS: one request moves every
 * box to the new profile with its own IP; refusals answer problem+json and change nothing.
 */
class BulkOfferChangeApiTest {

    private static final int BOXES = 10;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static Http http;
    static final List<TestAgent> agents = new ArrayList<>();

    private static String service(int i) {
        return String.format("otb-bulk-%02d", i);
    }

    private static String ip(int i) {
        return "192.0.2." + (i + 1);
    }

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g);
        http = harness.http;
        for (int i = 0; i < BOXES; i++) {
            String serial = String.format("OTB3-7000%02d", i);
            harness.registerBox(serial, "v3");
            harness.createService(service(i), ip(i), serial, "starter.v1");
            agents.add(harness.agent(serial, true).connect(harness.agentPort()));
        }
        for (TestAgent agent : agents) {
            agent.awaitConfirm(1, WAIT);
        }
        harness.createService("otb-alone", "192.0.2.100", null, "starter.v1");
    }

    @AfterAll
    static void stop() {
        agents.forEach(TestAgent::close);
        harness.close();
    }

    private static String names(List<String> names) {
        return names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(",", "[", "]"));
    }

    private static long generation(String service) throws Exception {
        return http.get("/1.0/overTheBox/" + service).json().path("desiredGeneration").asLong();
    }

    @Test
    void oneRequestMovesEveryBoxToTheOfferWithItsOwnIpAndARetryChangesNothingMore() throws Exception {
        List<String> all = IntStream.range(0, BOXES).mapToObj(BulkOfferChangeApiTest::service).toList();
        String body = "{\"offer\":\"business.v1\",\"serviceNames\":" + names(all) + "}";

        Http.Answer answer = http.post("/1.0/admin/desiredOffers", body, "bulk-business-1");

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.json().path("offer").asText()).isEqualTo("business.v1");
        assertThat(answer.json().path("changed").asInt()).isEqualTo(BOXES);
        JsonNode profiles = answer.json().path("profiles");
        for (int i = 0; i < BOXES; i++) {
            assertThat(profiles.get(i).path("serviceName").asText()).isEqualTo(service(i));
            assertThat(profiles.get(i).path("generation").asLong()).isEqualTo(2);
            assertThat(profiles.get(i).path("downKbps").asLong()).isEqualTo(1_000_000);
            assertThat(profiles.get(i).path("serviceIp").asText()).isEqualTo(ip(i));
            assertThat(profiles.get(i).path("actor").asText()).matches("operator:\\d+");
        }
        for (int i = 0; i < BOXES; i++) {
            agents.get(i).awaitConfirm(2, WAIT);
            BandwidthProfile applied = agents.get(i).applied();
            assertThat(applied.offer()).isEqualTo("business.v1");
            assertThat(applied.serviceIp()).isEqualTo(ip(i));
        }

        Http.Answer again = http.post("/1.0/admin/desiredOffers", body, "bulk-business-1");
        assertThat(again.replayed()).isTrue();
        assertThat(again.json()).isEqualTo(answer.json());
        assertThat(generation(service(7))).isEqualTo(2);
        JsonNode audit = http.get("/1.0/overTheBox/" + service(7) + "/audit").json();
        assertThat(audit.findValuesAsText("action")).containsOnlyOnce("desired.changed");
        JsonNode fleet = http.get("/1.0/admin/fleet").json();
        assertThat(fleet.path("outOfSync").asLong()).isZero();
    }

    @Test
    void unknownServicesAreAllNamedAndTheKnownOnesDoNotChange() throws Exception {
        long before = generation("otb-alone");

        Http.Answer answer = http.post("/1.0/admin/desiredOffers",
                "{\"offer\":\"business.v1\",\"serviceNames\":[\"otb-alone\",\"otb-none-1\",\"otb-none-2\"]}");

        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json().path("type").asText()).endsWith("/unknown-service");
        assertThat(answer.json().path("detail").asText()).isEqualTo("no service otb-none-1, otb-none-2");
        assertThat(generation("otb-alone")).isEqualTo(before);
    }

    @Test
    void malformedRequestsAre400AndChangeNothing() throws Exception {
        long before = generation("otb-alone");
        String tooMany = names(IntStream.rangeClosed(0, 1_000).mapToObj(i -> "s" + i).toList());
        for (String body : List.of("{\"offer\":\"business.v1\"}",
                "{\"offer\":\"business.v1\",\"serviceNames\":[\"otb-alone\"],\"fromOffer\":\"starter.v1\"}",
                "{\"offer\":\"business.v1\",\"serviceNames\":[]}",
                "{\"offer\":\"business.v1\",\"serviceNames\":" + tooMany + "}",
                "{\"offer\":\"business.v1\",\"serviceNames\":[\"otb-alone\",\"otb-alone\"]}",
                "{\"offer\":\"business.v1\",\"fromOffer\":\"business.v1\"}",
                "{\"offer\":\"business.v1\",\"fromOffer\":\"starter.v1\",\"limit\":0}",
                "{\"serviceNames\":[\"otb-alone\"]}",
                "{\"offer\":\"gold.v9\",\"serviceNames\":[\"otb-alone\"]}")) {
            Http.Answer answer = http.post("/1.0/admin/desiredOffers", body);
            assertThat(answer.status()).as(body).isEqualTo(400);
            assertThat(answer.json().path("detail").asText()).as(body).isNotBlank();
        }
        assertThat(generation("otb-alone")).isEqualTo(before);
    }

    @Test
    void fromOfferTakesTheActiveServicesOnThatOfferPageByPage() throws Exception {
        for (int i = 0; i < 3; i++) {
            harness.createService("otb-legacy-" + i, "192.0.2." + (200 + i), null, "plus.v1");
        }
        assertThat(http.post("/1.0/admin/services", "{\"serviceName\":\"otb-legacy-held\",\"account\":\"acc\","
                + "\"offer\":\"plus.v1\",\"serviceIp\":\"192.0.2.210\",\"status\":\"suspended\"}").status()).isEqualTo(201);
        String body = "{\"offer\":\"starter.v1\",\"fromOffer\":\"plus.v1\",\"limit\":2}";

        Http.Answer first = http.post("/1.0/admin/desiredOffers", body, "legacy-page-1");
        Http.Answer second = http.post("/1.0/admin/desiredOffers", body, "legacy-page-2");
        Http.Answer third = http.post("/1.0/admin/desiredOffers", body, "legacy-page-3");

        assertThat(first.json().path("profiles").findValuesAsText("serviceName"))
                .containsExactly("otb-legacy-0", "otb-legacy-1");
        assertThat(second.json().path("profiles").findValuesAsText("serviceName")).containsExactly("otb-legacy-2");
        assertThat(third.status()).isEqualTo(200);
        assertThat(third.json().path("changed").asInt()).isZero();
        assertThat(http.get("/1.0/overTheBox/otb-legacy-2").json().path("offer").asText()).isEqualTo("starter.v1");
        assertThat(http.get("/1.0/overTheBox/otb-legacy-held").json().path("offer").asText()).isEqualTo("plus.v1");
    }
}
