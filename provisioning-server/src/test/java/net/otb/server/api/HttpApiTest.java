package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.otb.server.ServerContext;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP framework over a real socket: routing refusals, problem+json, body limit, idempotency. */
class HttpApiTest {

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static Http http;

    /** Routes that exist only for this test. */
    static final class TestRoutes implements ApiModule {
        @Override
        public void register(Router router, ServerContext context) {
            router.post("/test/contracts", (request, tx) -> {
                throw Problems.conflict("missing-contracts", "Missing contracts", "accept every contract first")
                        .with("missingContracts", List.of("otb-general-conditions"));
            });
            router.post("/test/fails-after-writing", (request, tx) -> {
                context.audit().append(tx, "test", "test.written", "svc-half", null, null, null);
                throw new IllegalStateException("a bug after a write");
            });
        }
    }

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g, new TestRoutes());
        http = harness.http;
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @Test
    void anUnknownRouteIs404ProblemJson() throws Exception {
        Http.Answer answer = http.get("/1.0/nowhere");
        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json().path("type").asText()).endsWith("/route-not-found");
        assertThat(answer.json().path("status").asInt()).isEqualTo(404);
        assertThat(answer.json().path("detail").asText()).contains("/1.0/nowhere");
    }

    @Test
    void aWrongMethodIs405WithAllow() throws Exception {
        Http.Answer answer = http.send(HttpRequest.newBuilder(http.uri("/1.0/admin/fleet"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()), null);
        assertThat(answer.status()).isEqualTo(405);
        assertThat(answer.allow()).isEqualTo("GET, HEAD");
        assertThat(answer.json().path("title").asText()).isEqualTo("Method not allowed");
    }

    @Test
    void malformedJsonIs400AndChangesNothing() throws Exception {
        Http.Answer answer = http.post("/1.0/admin/devices", "{\"serial\": \"OTB3-X\", ");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("detail").asText()).startsWith("malformed JSON");
        assertThat(http.get("/1.0/admin/devices/OTB3-X").status()).isEqualTo(404);
    }

    @Test
    void anInvalidFieldIs400NamingIt() throws Exception {
        Http.Answer answer = http.post("/1.0/admin/devices", "{\"serial\": \"bad serial!\", \"model\": \"v3\"}");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("detail").asText()).contains("serial must be");
        Http.Answer wrongType = http.post("/1.0/admin/devices", "{\"serial\": 12, \"model\": \"v3\"}");
        assertThat(wrongType.status()).isEqualTo(400);
        Http.Answer unknownModel = http.post("/1.0/admin/devices", "{\"serial\": \"OTB3-M\", \"model\": \"v9\"}");
        assertThat(unknownModel.status()).isEqualTo(400);
        assertThat(unknownModel.json().path("field").asText()).isEqualTo("model");
    }

    @Test
    void aBodyThatIsNotJsonIs415() throws Exception {
        Http.Answer answer = http.send(HttpRequest.newBuilder(http.uri("/1.0/admin/devices"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("serial=1")), null);
        assertThat(answer.status()).isEqualTo(415);
        assertThat(answer.json().path("detail").asText()).contains("text/plain");
    }

    @Test
    void anOversizedBodyIs413AndTheServerKeepsServing() throws Exception {
        String response = raw("POST /1.0/admin/devices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000000\r\n\r\n{\"serial\":\"");
        assertThat(response).startsWith("HTTP/1.1 413");
        assertThat(response).contains("application/problem+json").contains("larger than 65536 bytes");
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aMalformedRequestLineIs400() throws Exception {
        String response = raw("THIS IS NOT HTTP\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 400");
        assertThat(response).contains("application/problem+json");
    }

    @Test
    void problemExtensionMembersAreRendered() throws Exception {
        Http.Answer answer = http.post("/test/contracts", "{}");
        assertThat(answer.status()).isEqualTo(409);
        assertThat(answer.json().path("missingContracts").get(0).asText()).isEqualTo("otb-general-conditions");
        assertThat(answer.json().path("type").asText()).isEqualTo(ProblemException.TYPE_BASE + "missing-contracts");
    }

    @Test
    void aHandlerFailureIs500AndItsWritesAreRolledBack() throws Exception {
        Http.Answer answer = http.post("/test/fails-after-writing", null);
        assertThat(answer.status()).isEqualTo(500);
        assertThat(http.get("/1.0/admin/audit?serviceName=svc-half").json()).isEmpty();
    }

    @Test
    void aRetryWithTheSameIdempotencyKeyGetsTheFirstAnswer() throws Exception {
        String body = "{\"serial\":\"OTB3-IDEM1\",\"model\":\"v2c\"}";
        Http.Answer first = http.post("/1.0/admin/devices", body, "key-idem-1");
        Http.Answer again = http.post("/1.0/admin/devices", body, "key-idem-1");
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.replayed()).isFalse();
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.replayed()).isTrue();
        assertThat(again.body()).isEqualTo(first.body());
        Http.Answer other = http.post("/1.0/admin/devices", "{\"serial\":\"OTB3-IDEM2\",\"model\":\"v2c\"}", "key-idem-1");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.json().path("type").asText()).endsWith("/idempotency-key-reused");
        assertThat(http.get("/1.0/admin/devices/OTB3-IDEM2").status()).isEqualTo(404);
        Http.Answer withoutKey = http.post("/1.0/admin/devices", body);
        assertThat(withoutKey.status()).isEqualTo(409);
    }

    @Test
    void concurrentRetriesWithOneKeyRunTheChangeOnce() throws Exception {
        String body = "{\"serial\":\"OTB3-IDEM-C\",\"model\":\"v3\"}";
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<Http.Answer>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> http.post("/1.0/admin/devices", body, "key-concurrent"));
            }
            List<Http.Answer> answers = new ArrayList<>();
            for (Future<Http.Answer> f : pool.invokeAll(calls, 30, TimeUnit.SECONDS)) {
                answers.add(f.get());
            }
            assertThat(answers).extracting(Http.Answer::status).containsOnly(201);
            assertThat(answers).extracting(Http.Answer::body).containsOnly(answers.get(0).body());
            assertThat(answers).filteredOn(a -> !a.replayed()).hasSize(1);
            assertThat(http.get("/1.0/admin/audit?deviceId=OTB3-IDEM-C").json()).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void headAnswersWithoutABody() throws Exception {
        Http.Answer answer = http.send(HttpRequest.newBuilder(http.uri("/healthz"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()), null);
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEmpty();
    }

    private static String raw(String request) throws Exception {
        // over TLS, as every client of the API port speaks
        try (Socket socket = net.otb.server.auth.ApiSigner.trusting(harness.pki.anchors()).getSocketFactory()
                .createSocket("127.0.0.1", harness.server.ports().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                response.write(buffer, 0, n);
            }
            return response.toString(StandardCharsets.UTF_8);
        }
    }
}
