package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout routes and the console's read-only routes over a real socket: creation, its refusals as
 * problem+json, the state rules of pause/resume/cancel/revert, Idempotency-Key, and the console's page and data.
 * The boxes stay offline: the rollouts here never get an answer, which is what these rules are about.
 */
class RolloutApiTest {

    private static final int BOXES = 9;

    private static final String ORDER = "{\"offer\":\"business.v1\",\"acceptedContracts\":[\"otb-general-conditions\","
            + "\"otb-business-special-conditions\"]}";

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static Http http;

    private static String service(int i) {
        return String.format("otb-roll-%02d", i);
    }

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g, new net.otb.server.migration.OfferChangeApi());
        http = harness.http;
        for (int i = 0; i < BOXES; i++) {
            String serial = String.format("OTB3-8000%02d", i);
            harness.registerBox(serial, "v3");
            harness.createService(service(i), "198.51.100." + (i + 1), serial, "starter.v1");
        }
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static String names(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "\"" + service(i) + "\"").collect(Collectors.joining(","));
    }

    private static JsonNode create(String body, String key) throws Exception {
        Http.Answer answer = http.post("/1.0/admin/rollouts", body, key);
        assertThat(answer.status()).as(answer.body()).isEqualTo(201);
        return answer.json();
    }

    @Test
    void aRolloutIsCreatedScheduledWithItsWavesAndAKeyReplaysTheAnswer() throws Exception {
        String body = "{\"offer\":\"business.v1\",\"serviceNames\":[" + names(0, 3) + "],\"canaryBoxes\":1,"
                + "\"growthFactor\":2,\"startAt\":\"2099-01-01T00:00:00Z\"}";
        JsonNode created = create(body, "rollout-key-1");

        assertThat(created.path("state").asText()).isEqualTo("scheduled");
        assertThat(created.path("boxes").asInt()).isEqualTo(3);
        assertThat(created.path("waves").findValuesAsText("size")).containsExactly("1", "2");
        assertThat(created.path("boxesByState").path("pending").asInt()).isEqualTo(3);
        Http.Answer replay = http.post("/1.0/admin/rollouts", body, "rollout-key-1");
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.json().path("id").asLong()).isEqualTo(created.path("id").asLong());

        long id = created.path("id").asLong();
        assertThat(http.get("/1.0/admin/rollouts/" + id).json().path("name").asText()).isEqualTo("rollout to business.v1");
        assertThat(http.get("/1.0/admin/rollouts").json().findValuesAsText("id")).contains(String.valueOf(id));
        assertThat(http.get("/1.0/admin/rollouts/" + id + "/boxes?wave=2").json()).hasSize(2)
                .allSatisfy(b -> {
                    // no agent runs in this class: every box is offline, and says so
                    assertThat(b.path("connected").isBoolean()).isTrue();
                    assertThat(b.path("connected").asBoolean()).isFalse();
                    assertThat(b.path("inSync").asBoolean()).isFalse();
                    assertThat(b.path("appliedGeneration").asLong()).isZero();
                });
        assertThat(created.path("failureReasons").isArray()).isTrue();
        assertThat(http.get("/1.0/admin/audit?limit=1000").body()).contains("rollout.created");
    }

    @Test
    void pauseResumeCancelAndRevertFollowTheStateRules() throws Exception {
        long id = create("{\"offer\":\"business.v1\",\"serviceNames\":[" + names(3, 5) + "],\"canaryPercent\":50,"
                + "\"startAt\":\"2099-01-01T00:00:00Z\"}", null).path("id").asLong();
        String base = "/1.0/admin/rollouts/" + id;

        Http.Answer resume = http.post(base + "/resume", null);
        assertThat(resume.status()).isEqualTo(409);
        assertThat(resume.contentType()).startsWith("application/problem+json");
        assertThat(resume.json().path("type").asText()).endsWith("/rollout-state");
        assertThat(resume.json().path("detail").asText()).contains("it is scheduled");
        assertThat(http.post(base + "/revert", null).status()).isEqualTo(409);

        assertThat(http.post(base + "/pause", null).json().path("state").asText()).isEqualTo("paused");
        assertThat(http.post(base + "/resume", null).json().path("state").asText()).isEqualTo("scheduled");
        assertThat(http.post(base + "/cancel", null).json().path("state").asText()).isEqualTo("cancelled");
        assertThat(http.post(base + "/pause", null).status()).isEqualTo(409);
        JsonNode reverted = http.post(base + "/revert", null).json();
        assertThat(reverted.path("reverted").asInt()).isZero();
        assertThat(http.post(base + "/revert", null).json().path("detail").asText()).contains("reverted already");
    }

    @Test
    void aServiceWithAnOpenOrderIsLeftOutOfARolloutAndTheRolloutSaysSo() throws Exception {
        Http.Answer ordered = http.post("/1.0/overTheBox/" + service(6) + "/migration/changeOffers", ORDER);
        assertThat(ordered.status()).as(ordered.body()).isEqualTo(200);

        JsonNode created = create("{\"offer\":\"business.v1\",\"serviceNames\":[" + names(6, 8) + "],"
                + "\"canaryBoxes\":1,\"startAt\":\"2099-01-01T00:00:00Z\"}", null);

        assertThat(created.path("boxes").asInt()).isEqualTo(1);
        assertThat(created.path("detail").asText()).contains("1 with an open order (" + service(6) + ")");
        assertThat(http.get("/1.0/admin/rollouts/" + created.path("id").asLong() + "/boxes").json()
                .findValuesAsText("serviceName")).containsExactly(service(7));
        http.post("/1.0/admin/rollouts/" + created.path("id").asLong() + "/cancel", null);
    }

    @Test
    void anOrderOpenedAfterTheRolloutWasCreatedWinsWhenTheBoxesTurnComes() throws Exception {
        JsonNode created = create("{\"offer\":\"business.v1\",\"serviceNames\":[" + names(8, 9) + "],"
                + "\"canaryBoxes\":1,\"startAt\":\"" + java.time.Instant.now().plusSeconds(2) + "\"}", null);
        Http.Answer ordered = http.post("/1.0/overTheBox/" + service(8) + "/migration/changeOffers", ORDER);
        assertThat(ordered.status()).as(ordered.body()).isEqualTo(200);
        long id = created.path("id").asLong();

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                http.get("/1.0/admin/rollouts/" + id).json().path("boxesByState").path("skipped").asInt() == 1);
        JsonNode box = http.get("/1.0/admin/rollouts/" + id + "/boxes").json().get(0);
        assertThat(box.path("detail").asText()).contains("an order is open on the service");
        JsonNode service = http.get("/1.0/overTheBox/" + service(8)).json();
        assertThat(service.path("offer").asText()).isEqualTo("starter.v1");
        assertThat(service.path("desiredGeneration").asLong()).isEqualTo(1);
    }

    /** A 400 invalid-field problem naming {@code field}, whose detail contains {@code says}. */
    private static void refused(String body, String field, String says) throws Exception {
        Http.Answer answer = http.post("/1.0/admin/rollouts", body);
        assertThat(answer.status()).as(answer.body()).isEqualTo(400);
        assertThat(answer.json().path("field").asText()).as(answer.body()).isEqualTo(field);
        assertThat(answer.json().path("detail").asText()).contains(says);
    }

    @Test
    void bodiesThatMakeNoSenseAreRefusedNamingTheField() throws Exception {
        int before = http.get("/1.0/admin/rollouts?limit=500").json().size();
        String target = "\"serviceNames\":[" + names(0, 2) + "]";

        refused("{\"offer\":\"business.v1\"," + target + ",\"canaryBoxes\":500}", "canaryBoxes",
                "canaryBoxes is 500 but the target holds");
        refused("{\"offer\":\"business.v1\"," + target + ",\"canaryBox\":1}", "canaryBox",
                "unknown field canaryBox; the fields are");
        refused("{\"offer\":\"plus.v1\"," + target + "}", "offer", "plus.v1 is a legacy offer");
        refused("{\"offer\":\"business.v1\"," + target + ",\"startAt\":\"tomorrow\"}", "startAt",
                "expected an ISO-8601 instant, e.g. 2026-06-01T10:00:00Z");
        // the other admin bodies refuse a misspelt field too
        Http.Answer typo = http.post("/1.0/admin/services/" + service(0) + "/desiredOffer", "{\"ofer\":\"business.v1\"}");
        assertThat(typo.status()).isEqualTo(400);
        assertThat(typo.json().path("field").asText()).as(typo.body()).isEqualTo("ofer");

        assertThat(http.get("/1.0/admin/rollouts?limit=500").json().size()).isEqualTo(before);
        assertThat(http.get("/1.0/overTheBox/" + service(0)).json().path("offer").asText()).isEqualTo("starter.v1");
    }

    @Test
    void refusalsAreProblemsAndChangeNothing() throws Exception {
        int before = http.get("/1.0/admin/rollouts?limit=500").json().size();
        Http.Answer both = http.post("/1.0/admin/rollouts", "{\"offer\":\"business.v1\",\"fromOffer\":\"starter.v1\","
                + "\"model\":\"v3\"}");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.json().path("detail").asText()).contains("exactly one target");
        Http.Answer unknownOffer = http.post("/1.0/admin/rollouts", "{\"offer\":\"gold.v9\",\"model\":\"v3\"}");
        assertThat(unknownOffer.status()).isEqualTo(400);
        assertThat(unknownOffer.json().path("type").asText()).endsWith("/unknown-offer");
        Http.Answer unknownService = http.post("/1.0/admin/rollouts", "{\"offer\":\"business.v1\","
                + "\"serviceNames\":[\"otb-nobody\"]}");
        assertThat(unknownService.status()).isEqualTo(404);
        Http.Answer nothing = http.post("/1.0/admin/rollouts", "{\"offer\":\"business.v1\",\"fromOffer\":\"plus.v1\"}");
        assertThat(nothing.status()).isEqualTo(409);
        assertThat(nothing.json().path("type").asText()).endsWith("/empty-rollout");
        Http.Answer badRate = http.post("/1.0/admin/rollouts", "{\"offer\":\"business.v1\",\"model\":\"v3\","
                + "\"maxPerMinute\":0}");
        assertThat(badRate.status()).isEqualTo(400);
        assertThat(badRate.json().path("detail").asText()).contains("maxPerMinute");
        assertThat(http.get("/1.0/admin/rollouts/999999").status()).isEqualTo(404);
        assertThat(http.get("/1.0/admin/rollouts/abc").status()).isEqualTo(404);
        assertThat(http.get("/1.0/admin/rollouts?limit=500").json().size()).isEqualTo(before);
    }

    @Test
    void theConsolePageAndItsReadOnlyRoutesAreServed() throws Exception {
        Http.Answer page = http.get("/console");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("OverTheBox console", "/console/console.js");
        assertThat(http.headers("/console").firstValue("content-security-policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'"));
        Http.Answer script = http.get("/console/console.js");
        assertThat(script.contentType()).startsWith("text/javascript");
        assertThat(script.body()).contains("crypto.subtle.digest('SHA-1'", "X-Ovh-Signature", "/1.0/auth/currentCredential");
        assertThat(http.get("/console/secret.txt").status()).isEqualTo(404);

        JsonNode models = http.get("/1.0/admin/fleet/models").json();
        assertThat(models.path("models").get(0).path("model").asText()).isEqualTo("v3");
        assertThat(models.path("models").get(0).path("devices").asInt()).isEqualTo(BOXES);
        assertThat(models.path("models").get(0).path("online").asInt()).isZero();
        assertThat(http.get("/1.0/admin/instances").json().get(0).path("sessions").asInt()).isZero();
        assertThat(http.get("/1.0/admin/tasks?state=error").json().isArray()).isTrue();
        assertThat(http.get("/1.0/admin/tasks?state=nope").status()).isEqualTo(400);
    }
}
