package net.otb.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.ServerStartException;
import net.otb.server.api.Router;
import net.otb.server.migration.OfferChangeApi;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API port as OVH's clients meet it, over a real TLS socket: HTTPS only, OVH's signed requests, the roles'
 * access rules on every route of the router, the refusals' bodies, and who did it in the audit log.
 */
class ApiSecurityTest {

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static Http http;
    static Map<Role, ApiCredential> byRole = new LinkedHashMap<>();

    /** Who may call each route (every route but the public ones must be here: a new route must say who). */
    static final Map<String, Set<Role>> GRANTS = Map.ofEntries(
            Map.entry("GET /1.0/auth/currentCredential", EnumSet.allOf(Role.class)),
            Map.entry("POST /1.0/admin/devices", EnumSet.of(Role.OPERATOR)),
            Map.entry("GET /1.0/admin/devices/{serial}", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("POST /1.0/admin/devices/{serial}/revoke", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/services", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/services/{serviceName}/desiredOffer", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/desiredOffers", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/services/{serviceName}/device", EnumSet.of(Role.OPERATOR)),
            Map.entry("GET /1.0/admin/fleet", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/admin/audit", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("POST /1.0/admin/rollouts", EnumSet.of(Role.OPERATOR)),
            Map.entry("GET /1.0/admin/rollouts", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/admin/rollouts/{rolloutId}", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/admin/rollouts/{rolloutId}/boxes", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("POST /1.0/admin/rollouts/{rolloutId}/pause", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/rollouts/{rolloutId}/resume", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/rollouts/{rolloutId}/cancel", EnumSet.of(Role.OPERATOR)),
            Map.entry("POST /1.0/admin/rollouts/{rolloutId}/revert", EnumSet.of(Role.OPERATOR)),
            Map.entry("GET /1.0/admin/fleet/models", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/admin/instances", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/admin/tasks", EnumSet.of(Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/overTheBox/{serviceName}", EnumSet.of(Role.ORDER_SYSTEM, Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/overTheBox/{serviceName}/tasks", EnumSet.of(Role.ORDER_SYSTEM, Role.OPERATOR,
                    Role.VIEWER)),
            Map.entry("GET /1.0/overTheBox/{serviceName}/audit", EnumSet.of(Role.ORDER_SYSTEM, Role.OPERATOR,
                    Role.VIEWER)),
            Map.entry("GET /1.0/overTheBox/{serviceName}/migration/offers", EnumSet.of(Role.ORDER_SYSTEM,
                    Role.OPERATOR, Role.VIEWER)),
            Map.entry("GET /1.0/overTheBox/{serviceName}/migration", EnumSet.of(Role.ORDER_SYSTEM, Role.OPERATOR,
                    Role.VIEWER)),
            Map.entry("GET /1.0/order/overTheBox/{serviceName}/migrate", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("POST /1.0/overTheBox/{serviceName}/migration/changeOffers", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("GET /1.0/me/order/{orderId}", EnumSet.of(Role.ORDER_SYSTEM, Role.BILLING, Role.WAREHOUSE)),
            Map.entry("POST /1.0/me/order/{orderId}/pay", EnumSet.of(Role.BILLING)),
            Map.entry("POST /1.0/me/order/{orderId}/cancel", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("POST /1.0/me/order/{orderId}/shipment", EnumSet.of(Role.WAREHOUSE)),
            Map.entry("GET /1.0/me/contact", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("POST /1.0/me/contact", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("GET /1.0/me/contact/{contactId}", EnumSet.of(Role.ORDER_SYSTEM)),
            Map.entry("GET /1.0/me/refund", EnumSet.of(Role.ORDER_SYSTEM)));

    /** Served to anyone: operations probes, the time and the API's description, and the console's files (no data). */
    static final Set<String> PUBLIC = Set.of("GET /metrics", "GET /healthz", "GET /1.0/auth/time",
            "GET /1.0/openapi.json", "GET /console", "GET /console/{asset}");

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g, new OfferChangeApi());
        http = harness.http;
        for (ApiCredential credential : http.signer().credentials()) {
            byRole.put(Role.parse(credential.role()), credential);
        }
        assertThat(byRole).hasSize(Role.values().length);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static Http unsignedClient;

    private static final Map<Role, Http> CLIENTS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Http as(Role role) {
        return CLIENTS.computeIfAbsent(role, r -> http.as(new ApiSigner(List.of(byRole.get(r)),
                java.time.Clock.systemUTC())));
    }

    @Test
    void everyRouteIsRefusedUnsignedAndToEveryOtherRoleAndServedToItsOwn() throws Exception {
        List<String> routes = harness.server.router().routes().stream().map(r -> r.method() + " " + r.template())
                .toList();
        assertThat(routes.stream().filter(r -> !PUBLIC.contains(r)).collect(Collectors.toSet()))
                .as("every route says who may call it").isEqualTo(GRANTS.keySet());
        List<String> faults = new ArrayList<>();
        unsignedClient = http.unsigned();
        for (Router.Route route : harness.server.router().routes()) {
            String name = route.method() + " " + route.template();
            String path = route.template().replaceAll("\\{[A-Za-z]+}", "1");
            if (PUBLIC.contains(name)) {
                Http.Answer open = call(unsignedClient, route.method(), path);
                if (open.status() == 401 || open.status() == 403) {
                    faults.add(name + " is public but answered " + open.status());
                }
                continue;
            }
            Http.Answer unsigned = call(unsignedClient, route.method(), path);
            if (unsigned.status() != 401 || !unsigned.json().path("message").asText().startsWith("You must login")) {
                faults.add(name + " unsigned: " + unsigned.status() + " " + unsigned.body());
            }
            for (Role role : Role.values()) {
                Http.Answer answer = call(as(role), route.method(), path);
                boolean granted = GRANTS.get(name).contains(role);
                if (granted && (answer.status() == 401 || answer.status() == 403)) {
                    faults.add(name + " refused to " + role + ": " + answer.body());
                }
                if (!granted && (answer.status() != 403
                        || !answer.json().path("errorCode").asText().equals("NOT_GRANTED_CALL"))) {
                    faults.add(name + " as " + role + ": " + answer.status() + " " + answer.body());
                }
            }
        }
        assertThat(faults).isEmpty();
    }

    private static Http.Answer call(Http client, String method, String path) throws Exception {
        return method.equals("GET") ? client.get(path) : client.post(path, "{}");
    }

    @Test
    void aSignatureOverAnotherBodyAnotherUrlOrAnOldTimestampIsRefused() throws Exception {
        ApiCredential order = byRole.get(Role.ORDER_SYSTEM);
        long now = Instant.now().getEpochSecond();
        String body = contact("Another body");
        String url = "https://127.0.0.1/1.0/me/contact";

        Http.Answer otherBody = send(order.sign("POST", url, contact("Signed body"), now), "POST", "/1.0/me/contact", body);
        assertRefused(otherBody, 401, "INVALID_SIGNATURE");

        Http.Answer otherUrl = send(order.sign("POST", url + "?x=1", body, now), "POST", "/1.0/me/contact", body);
        assertRefused(otherUrl, 401, "INVALID_SIGNATURE");

        Http.Answer otherHost = send(order.sign("POST", "https://localhost/1.0/me/contact", body, now), "POST",
                "/1.0/me/contact", body);
        assertRefused(otherHost, 401, "INVALID_SIGNATURE");

        Http.Answer otherMethod = send(order.sign("GET", url, body, now), "POST", "/1.0/me/contact", body);
        assertRefused(otherMethod, 401, "INVALID_SIGNATURE");

        Http.Answer old = send(order.sign("POST", url, body, now - 600), "POST", "/1.0/me/contact", body);
        assertRefused(old, 401, "QUERY_TIME_OUT");
        Http.Answer future = send(order.sign("POST", url, body, now + 600), "POST", "/1.0/me/contact", body);
        assertRefused(future, 401, "QUERY_TIME_OUT");

        Http.Answer good = send(order.sign("POST", url, body, now), "POST", "/1.0/me/contact", body);
        assertThat(good.status()).as(good.body()).isEqualTo(200);
        assertThat(http.get("/1.0/me/contact").json().findValuesAsText("name")).containsOnlyOnce("Another body");
    }

    @Test
    void aByteIdenticalReplayGetsTheFirstAnswerAndRunsOnce() throws Exception {
        ApiCredential order = byRole.get(Role.ORDER_SYSTEM);
        String body = contact("Replayed once");
        ApiCredential.SignedHeaders headers = order.sign("POST", "https://127.0.0.1/1.0/me/contact", body,
                Instant.now().getEpochSecond());
        Http.Answer first = send(headers, "POST", "/1.0/me/contact", body);
        assertThat(first.status()).isEqualTo(200);
        // a retry in the same second (the official client signs in whole seconds), here twenty at once
        List<java.util.concurrent.CompletableFuture<Http.Answer>> retries = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            retries.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return send(headers, "POST", "/1.0/me/contact", body);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (java.util.concurrent.CompletableFuture<Http.Answer> retry : retries) {
            Http.Answer again = retry.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(again.status()).as(again.body()).isEqualTo(200);
            assertThat(again.body()).isEqualTo(first.body());
        }
        assertThat(http.get("/1.0/me/contact").json().findValuesAsText("name")).containsOnlyOnce("Replayed once");
        // a read may be sent twice in a second with one signature, as a polling client does
        ApiCredential.SignedHeaders read = order.sign("GET", "https://127.0.0.1/1.0/me/contact", "",
                Instant.now().getEpochSecond());
        assertThat(send(read, "GET", "/1.0/me/contact", null).status()).isEqualTo(200);
        assertThat(send(read, "GET", "/1.0/me/contact", null).status()).isEqualTo(200);
    }

    @Test
    void anUnknownApplicationOrConsumerKeyIsForbidden() throws Exception {
        ApiCredential order = byRole.get(Role.ORDER_SYSTEM);
        ApiCredential billing = byRole.get(Role.BILLING);
        long now = Instant.now().getEpochSecond();
        String url = "https://127.0.0.1/1.0/me/contact";
        ApiCredential unknownApp = new ApiCredential("NoSuchApplicatio", order.applicationSecret(), order.consumerKey(),
                "order-system", List.of());
        assertRefused(send(unknownApp.sign("GET", url, "", now), "GET", "/1.0/me/contact", null), 403, "INVALID_KEY");
        ApiCredential unknownConsumer = new ApiCredential(order.applicationKey(), order.applicationSecret(),
                "NoSuchConsumerKeyNoSuchConsumerK", "order-system", List.of());
        assertRefused(send(unknownConsumer.sign("GET", url, "", now), "GET", "/1.0/me/contact", null), 403,
                "INVALID_CREDENTIAL");
        // billing's consumer key under the order system's application
        ApiCredential mixed = new ApiCredential(order.applicationKey(), order.applicationSecret(), billing.consumerKey(),
                "billing", List.of());
        assertRefused(send(mixed.sign("GET", url, "", now), "GET", "/1.0/me/contact", null), 403, "INVALID_CREDENTIAL");
        // the right keys, another application's secret
        ApiCredential wrongSecret = new ApiCredential(order.applicationKey(), billing.applicationSecret(),
                order.consumerKey(), "order-system", List.of());
        assertRefused(send(wrongSecret.sign("GET", url, "", now), "GET", "/1.0/me/contact", null), 401,
                "INVALID_SIGNATURE");
    }

    @Test
    void everyErrorBodyCarriesMessageBesideTheProblemFields() throws Exception {
        for (Http.Answer answer : List.of(http.get("/1.0/nowhere"), http.unsigned().get("/1.0/admin/fleet"),
                as(Role.BILLING).get("/1.0/admin/fleet"), http.get("/1.0/overTheBox/otb-none"),
                http.post("/1.0/admin/devices", "{\"serial\": 1"))) {
            JsonNode json = answer.json();
            assertThat(answer.contentType()).isEqualTo("application/problem+json");
            assertThat(json.path("message").asText()).as(answer.body()).isNotBlank().isEqualTo(json.path("detail").asText());
            assertThat(json.has("type") && json.has("title") && json.has("status")).as(answer.body()).isTrue();
        }
    }

    @Test
    void everyRoleReadsItsOwnCredentialItsRoleAndRulesButNoSecret() throws Exception {
        for (Role role : Role.values()) {
            ApiCredential own = byRole.get(role);
            Http.Answer answer = as(role).get("/1.0/auth/currentCredential");
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
            JsonNode json = answer.json();
            assertThat(json.path("applicationKey").asText()).isEqualTo(own.applicationKey());
            assertThat(json.path("role").asText()).isEqualTo(role.wire());
            assertThat(json.path("status").asText()).isEqualTo("validated");
            assertThat(json.path("credentialId").asLong()).isPositive();
            List<AccessRule> rules = new ArrayList<>();
            json.path("rules").forEach(r -> rules.add(new AccessRule(r.path("method").asText(), r.path("path").asText())));
            assertThat(rules).isEqualTo(role.rules());
            assertThat(answer.body()).doesNotContain(own.applicationSecret(), own.consumerKey());
        }
        Http.Answer unsigned = http.unsigned().get("/1.0/auth/currentCredential");
        assertRefused(unsigned, 401, "NOT_CREDENTIAL");
    }

    @Test
    void theViewerReadsTheRolloutsButMayNotPauseOne() throws Exception {
        assertThat(as(Role.VIEWER).get("/1.0/admin/rollouts").status()).isEqualTo(200);
        Http.Answer pause = as(Role.VIEWER).post("/1.0/admin/rollouts/1/pause", "{}");
        assertRefused(pause, 403, "NOT_GRANTED_CALL");
        assertThat(pause.json().path("message").asText()).contains("POST /admin/rollouts/1/pause", "viewer");
    }

    @Test
    void theConsolesFilesAreServedUnsignedAndHoldNoData() throws Exception {
        Http.Answer page = http.unsigned().get("/console");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(http.unsigned().get("/console/console.js").status()).isEqualTo(200);
        assertThat(http.unsigned().get("/console/nothing.js").status()).isEqualTo(404);
    }

    @Test
    void theTimeIsServedUnsignedAsEpochSeconds() throws Exception {
        long before = Instant.now().getEpochSecond();
        Http.Answer time = http.unsigned().get("/1.0/auth/time");
        assertThat(time.status()).isEqualTo(200);
        assertThat(time.json().isIntegralNumber()).as(time.body()).isTrue();
        assertThat(time.json().asLong()).isBetween(before, Instant.now().getEpochSecond());
    }

    @Test
    void auditEventsNameTheApplicationAndTheConsumerThatCausedThem() throws Exception {
        assertThat(http.post("/1.0/admin/devices", "{\"serial\":\"OTB3-AUDIT1\",\"model\":\"v3\"}").status()).isEqualTo(201);
        assertThat(http.post("/1.0/me/contact", contact("Audited Person")).status()).isEqualTo(200);
        JsonNode events = http.get("/1.0/admin/audit?limit=1000").json();
        JsonNode registered = find(events, "device.registered", "OTB3-AUDIT1");
        JsonNode contact = find(events, "contact.created", null);
        assertThat(registered.path("application").asText()).isEqualTo(byRole.get(Role.OPERATOR).applicationKey());
        assertThat(contact.path("application").asText()).isEqualTo(byRole.get(Role.ORDER_SYSTEM).applicationKey());
        assertThat(registered.path("consumer").asLong()).isPositive();
        assertThat(contact.path("consumer").asLong()).isPositive().isNotEqualTo(registered.path("consumer").asLong());
    }

    @Test
    void theAuditActorIsTheSignedCredentialAndXActorOnlyAnUntrustedLabel() throws Exception {
        String body = "{\"serial\":\"OTB3-AUDIT2\",\"model\":\"v3\"}";
        Http.Answer created = http.send(HttpRequest.newBuilder(http.uri("/1.0/admin/devices"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("X-Actor", "device:OTB3-000001"), null, body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String rollout = "{\"offer\":\"business.v1\",\"serviceNames\":[\"otb-none\"]}";
        http.send(HttpRequest.newBuilder(http.uri("/1.0/admin/rollouts"))
                .POST(HttpRequest.BodyPublishers.ofString(rollout)).header("Content-Type", "application/json")
                .header("X-Actor", "system"), null, rollout);
        JsonNode events = http.get("/1.0/admin/audit?limit=1000").json();
        JsonNode registered = find(events, "device.registered", "OTB3-AUDIT2");
        long operator = registered.path("consumer").asLong();
        assertThat(registered.path("actor").asText()).isEqualTo("operator:" + operator);
        assertThat(registered.path("actorLabel").asText()).isEqualTo("device:OTB3-000001");
        for (JsonNode event : events) {
            assertThat(event.path("actor").asText()).as(event.toString()).isNotEqualTo("device:OTB3-000001");
        }
    }

    @Test
    void anIdempotencyKeyBelongsToTheCredentialThatSentIt() throws Exception {
        Http.Answer first = as(Role.ORDER_SYSTEM).post("/1.0/me/contact", contact("Keyed Person"), "shared-key-27");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        Http.Answer other = as(Role.BILLING).post("/1.0/me/order/999999/pay",
                "{\"paymentId\":\"p-1\",\"amountCents\":1999}", "shared-key-27");
        assertThat(other.status()).as(other.body()).isEqualTo(404);
        assertThat(other.body()).doesNotContain("/me/contact").doesNotContain("Idempotency");
        Http.Answer again = as(Role.ORDER_SYSTEM).post("/1.0/me/contact", contact("Keyed Person"), "shared-key-27");
        assertThat(again.replayed()).isTrue();
        assertThat(again.body()).isEqualTo(first.body());
    }

    @Test
    void everyAnswerIsNoStoreAndTheHttpsPortSendsHsts() throws Exception {
        for (String path : List.of("/1.0/admin/fleet", "/1.0/auth/time", "/healthz", "/no/such/route")) {
            java.net.http.HttpHeaders headers = http.headers(path);
            assertThat(headers.firstValue("cache-control")).as(path).hasValue("no-store");
            assertThat(headers.firstValue("strict-transport-security")).as(path).hasValue("max-age=31536000");
        }
    }

    private static JsonNode find(JsonNode events, String action, String deviceId) {
        for (JsonNode event : events) {
            if (event.path("action").asText().equals(action)
                    && (deviceId == null || deviceId.equals(event.path("deviceId").asText()))) {
                return event;
            }
        }
        throw new AssertionError("no " + action + " in " + events);
    }

    @Test
    void aPlainRequestOnTheTlsPortGetsATlsAlertAndNoHttp() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", harness.server.ports().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /1.0/auth/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = in.readAllBytes();
            assertThat(answer).as("a fatal TLS alert record, then the close").startsWith(0x15, 0x03, 0x03, 0x00, 0x02, 0x02);
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/");
        }
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void plainHttpIsServedOnlyWhenAskedAndOnlyOnLoopback(@TempDir Path other) throws Exception {
        ServerConfig base = ServerConfig.ephemeral(other.resolve("a"));
        try (ProvisioningServer plain = ProvisioningServer.builder(base.withHttp(base.http().withInsecure(true)))
                .loadServiceModules(false).build()) {
            plain.start();
            assertThat(plain.httpScheme()).isEqualTo("http");
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            var answer = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain.ports().httpPort()
                    + "/healthz")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
        }
        ServerConfig wide = ServerConfig.ephemeral(other.resolve("b"));
        ProvisioningServer refused = ProvisioningServer.builder(wide.withHttp(wide.http().withHost("0.0.0.0")
                .withInsecure(true))).loadServiceModules(false).build();
        assertThatThrownBy(refused::start).isInstanceOf(ServerStartException.class)
                .hasMessageContaining("loopback only, not 0.0.0.0");
        assertThat(other.resolve("b/otb.mv.db")).as("nothing opened").doesNotExist();
    }

    @Test
    void theApplicationSecretIsSealedInTheStore() throws Exception {
        ApiCredential order = byRole.get(Role.ORDER_SYSTEM);
        String sealed = harness.server.context().database().inTransaction(tx -> tx.queryOne(
                "SELECT secret_sealed FROM api_applications WHERE application_key = ?", row -> row.getString(1),
                order.applicationKey())).orElseThrow();
        assertThat(sealed).startsWith("v1:").doesNotContain(order.applicationSecret());
        long plainConsumerKeys = harness.server.context().database().inTransaction(tx -> tx.queryLong(
                "SELECT COUNT(*) FROM api_consumers WHERE consumer_key_hash = ?", order.consumerKey()));
        assertThat(plainConsumerKeys).isZero();
        assertThat(Files.readString(dir.resolve("data/api-secrets.key")).trim()).hasSize(44);
    }

    private static void assertRefused(Http.Answer answer, int status, String errorCode) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json().path("errorCode").asText()).as(answer.body()).isEqualTo(errorCode);
        assertThat(answer.json().path("message").asText()).isNotBlank();
    }

    private static Http.Answer send(ApiCredential.SignedHeaders headers, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(http.uri(path)).headers(headers.asArray());
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return http.unsigned().send(builder, null, body);
    }

    private static String contact(String name) {
        return "{\"name\":\"" + name + "\",\"street\":\"1 rue de la Paix\",\"postcode\":\"75002\",\"city\":\"Paris\","
                + "\"country\":\"FR\",\"phone\":\"+33100000000\"}";
    }
}
