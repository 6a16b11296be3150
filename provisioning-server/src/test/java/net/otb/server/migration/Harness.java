package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.ServerStartException;
import net.otb.server.auth.ApiSigner;
import net.otb.server.testing.TestCredentials;

/**
 * One provisioning server on loopback (ports 0) over an H2 database in a test folder, with the PKI of
 * {@link TestPki}; HTTP calls through {@link HttpClient}; boxes as {@link TestBox}es over real mTLS. The server
 * can be restarted on the same folder. Not thread-safe for setup; {@link #call} may be used from many threads.
 */
final class Harness implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(20);

    /** An HTTP answer: status, JSON body (or a text node), headers. */
    record Answer(int status, JsonNode json, Map<String, List<String>> headers) {
        String problemType() {
            return json.path("type").asText();
        }

        String detail() {
            return json.path("detail").asText();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dataDir;
    private final TestPki pki = new TestPki();
    private final MutableClock clock;
    private final ServerConfig config;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .sslContext(ApiSigner.trusting(pki.anchors())).build();
    private ApiSigner signer;
    private final EventLoopGroup boxGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<TestBox> boxes = new ArrayList<>();
    private ProvisioningServer server;

    Harness(Path dataDir, Instant start) throws IOException {
        this.dataDir = dataDir;
        this.clock = new MutableClock(start);
        Path pkiDir = Files.createDirectories(dataDir.resolve("test-pki"));
        Path ca = Files.writeString(pkiDir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        Path chain = Files.writeString(pkiDir.resolve("server.crt"), Pem.writeChain(pki.server().chain()));
        Path key = Files.writeString(pkiDir.resolve("server.key"), Pem.write(pki.server().key()));
        ServerConfig ephemeral = ServerConfig.ephemeral(dataDir.resolve("server"));
        this.config = ephemeral.withPki(new ServerConfig.PkiConfig(ca, chain, key, null, pkiDir.resolve("revoked.json")))
                .withTls(TlsProvider.JDK);
    }

    Harness start() {
        server = ProvisioningServer.builder(config).clock(clock).build();
        try {
            server.start();
        } catch (ServerStartException e) {
            throw new IllegalStateException("the server did not start: " + e.getMessage(), e);
        }
        if (signer == null) {
            // made once: they are in the store and the key file of the data folder, kept across restarts
            signer = TestCredentials.signer(server, clock);
        }
        return this;
    }

    /** Stops the server (sessions end, database closes) and starts a new one on the same folder. */
    void restart() {
        server.close();
        start();
    }

    ProvisioningServer server() {
        return server;
    }

    MutableClock clock() {
        return clock;
    }

    /** Sets the day the next payment or delivery happens, at noon UTC. */
    void today(String isoDate) {
        clock.set(Instant.parse(isoDate + "T12:00:00Z"));
    }

    Answer get(String path) {
        return call("GET", path, null, Map.of());
    }

    Answer post(String path, Object body) {
        return call("POST", path, body, Map.of());
    }

    Answer post(String path, Object body, Map<String, String> headers) {
        return call("POST", path, body, headers);
    }

    Answer call(String method, String path, Object body, Map<String, String> headers) {
        try {
            URI uri = URI.create("https://127.0.0.1:" + server.ports().httpPort() + path);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(DEADLINE);
            headers.forEach(request::header);
            String text = "";
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                byte[] bytes = body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
                text = new String(bytes, StandardCharsets.UTF_8);
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
            }
            signer.sign(method, uri, text).ifPresent(h -> request.headers(h.asArray()));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = response.body().isEmpty() ? JSON.nullNode() : parse(response.body());
            return new Answer(response.statusCode(), json, response.headers().map());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(body);
        }
    }

    /** Registers a box with the admin API and makes its in-test agent (not yet connected). */
    TestBox box(String serial, String model) throws IOException {
        Answer registered = post("/1.0/admin/devices", Map.of("serial", serial, "model", model));
        if (registered.status() != 201 && registered.status() != 200) {
            throw new IllegalStateException("cannot register " + serial + ": " + registered);
        }
        TestBox box = new TestBox(serial, model, pki.device(serial), pki.anchors(), boxGroup);
        boxes.add(box);
        return box;
    }

    /** Creates an active service bound to {@code deviceId} (or none). */
    void service(String name, String offer, String serviceIp, String deviceId) {
        service(name, offer, serviceIp, deviceId, "active");
    }

    void service(String name, String offer, String serviceIp, String deviceId, String status) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("serviceName", name);
        body.put("account", "acct-1");
        body.put("offer", offer);
        body.put("serviceIp", serviceIp);
        body.put("status", status);
        if (deviceId != null) {
            body.put("deviceId", deviceId);
        }
        Answer created = post("/1.0/admin/services", body);
        if (created.status() != 201 && created.status() != 200) {
            throw new IllegalStateException("cannot create " + name + ": " + created);
        }
    }

    /** Connects the box and waits for its welcome. */
    TestBox online(TestBox box) throws InterruptedException {
        box.connect(server.ports().agent());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(box.welcomed()).as("welcomed: %s", box).isTrue());
        return box;
    }

    /** Waits until the box runs a profile of {@code offer}, generation {@code generation}, confirmed. */
    void awaitApplied(TestBox box, String offer, long generation) {
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(box.applied() != null
                && box.applied().offer().equals(offer) && box.applied().generation() == generation
                && box.confirmed() >= generation).as("%s applies %s generation %d: %s", box.serial(), offer, generation,
                box).isTrue());
    }

    @Override
    public void close() {
        boxes.forEach(TestBox::close);
        if (server != null) {
            server.close();
        }
        boxGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
