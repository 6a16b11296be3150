package net.otb.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.DevPki;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.testing.Http;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients from outside against the API port of a server on its dev PKI: OVH's official Node.js client (npm
 * {@code ovh} 2.0.3, unmodified, installed by {@code .ci/run} into {@code src/test/node}) drives the guide's
 * journey with an order-system and a billing credential while a box applies the new profile, and
 * {@code openssl s_client} checks the TLS the port offers. Skipped when node, the module or openssl is missing,
 * except under {@code CI=true}, where that is a failure.
 */
class OvhNodeClientTest {

    static final Path NODE_FOLDER = Path.of("src/test/node");
    static final String SERIAL = "OTB3-NODE01";
    static final String SERVICE = "otb-node";

    @TempDir
    static Path dir;

    static ProvisioningServer server;
    static EventLoopGroup boxes;
    static TestAgent box;
    static Http operator;

    @BeforeAll
    static void start() throws Exception {
        server = ProvisioningServer.builder(ServerConfig.ephemeral(dir.resolve("data"))).build();
        server.start();
        DevPki pki = server.devPki();
        ApiCredential operatorKey = server.createCredential("node-test-operator", Role.OPERATOR);
        operator = new Http(server.ports().httpPort(), ApiSigner.trusting(List.of(pki.caCertificate())),
                new ApiSigner(List.of(operatorKey), Clock.systemUTC()));
        assertThat(operator.post("/1.0/admin/devices", "{\"serial\":\"" + SERIAL + "\",\"model\":\"v3\"}").status())
                .isEqualTo(201);
        assertThat(operator.post("/1.0/admin/services", "{\"serviceName\":\"" + SERVICE + "\",\"account\":\"acc-node\","
                + "\"offer\":\"starter.v1\",\"serviceIp\":\"198.51.100.77\",\"deviceId\":\"" + SERIAL + "\"}").status())
                .isEqualTo(201);
        boxes = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        box = new TestAgent(boxes, pki.deviceCredentialsInMemory(SERIAL, new SecureRandom()),
                List.of(pki.caCertificate()), SERIAL, "v3", true).connect(server.ports().agentPort());
        await().atMost(Duration.ofSeconds(30)).until(() -> box.applied() != null
                && box.applied().offer().equals("starter.v1"));
    }

    @AfterAll
    static void stop() {
        if (box != null) {
            box.close();
        }
        if (server != null) {
            server.close();
        }
        if (boxes != null) {
            boxes.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theOfficialNodeClientDrivesTheJourneyAndTheBoxAppliesTheNewOffer() throws Exception {
        String node = prerequisite("node", "Debian's nodejs package");
        Path module = NODE_FOLDER.resolve("node_modules/ovh/package.json");
        if (!Files.exists(module)) {
            missing("the npm module ovh is not installed in " + NODE_FOLDER.toAbsolutePath()
                    + " (npm ci --prefix provisioning-server/src/test/node, as .ci/run does)");
        }
        assertThat(new ObjectMapper().readTree(module.toFile()).path("version").asText()).as("the pinned client")
                .isEqualTo("2.0.3");

        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("host", "127.0.0.1").put("port", server.ports().httpPort()).put("service", SERVICE)
                .put("offer", "business.v1");
        config.set("orderSystem", json.valueToTree(server.createCredential("node-order-system", Role.ORDER_SYSTEM)));
        config.set("billing", json.valueToTree(server.createCredential("node-billing", Role.BILLING)));
        Path configFile = Files.writeString(dir.resolve("journey.json"), config.toString());

        ProcessBuilder builder = new ProcessBuilder(node, "journey.js", configFile.toString())
                .directory(NODE_FOLDER.toFile())
                .redirectError(dir.resolve("node.err").toFile());
        builder.environment().put("NODE_EXTRA_CA_CERTS", server.devPki().caFile().toAbsolutePath().toString());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(dir.resolve("node.err"));
        assertThat(process.exitValue()).as("node journey.js: %s", err).isZero();
        JsonNode answers = json.readTree(new String(out, StandardCharsets.UTF_8));

        // each answer has the shape the public API's (docs/architecture.md#the-order-api), as the client parsed it
        assertThat(answers.path("time").asLong()).isCloseTo(Instant.now().getEpochSecond(),
                org.assertj.core.data.Offset.offset(60L));
        JsonNode offers = answers.path("offers");
        assertThat(offers.at("/currentOffer/offer").asText()).isEqualTo("starter.v1");
        JsonNode business = find(offers.path("offers"), "offer", "business.v1");
        assertThat(fields(business)).contains("offer", "description", "price", "currentOfferPrice", "engagementMonths",
                "hardwareAvailable", "hardwares");
        assertPrice(business.path("price"), "39.99");
        assertThat(fields(business.at("/hardwares/0"))).contains("hardwareName", "hardwareDisplayName", "hardwarePrice");

        JsonNode quote = answers.path("quote");
        assertPrice(quote.path("monthlyPrice"), "39.99");
        assertThat(quote.path("contracts").size()).isPositive();
        quote.path("contracts").forEach(c -> assertThat(fields(c)).contains("name", "url"));

        JsonNode order = answers.path("order");
        assertThat(order.path("orderId").isIntegralNumber()).as(order.toString()).isTrue();
        assertThat(order.path("orderUrl").asText()).isEqualTo("/1.0/me/order/" + order.path("orderId").asLong());

        JsonNode refused = answers.path("billingMayNotChangeOffers");
        assertThat(refused.path("error").asInt()).as(refused.toString()).isEqualTo(403);
        assertThat(refused.path("message").asText()).as("the client reads OVH's message member")
                .startsWith("This call has not been granted");

        assertThat(answers.at("/paid/status").asText()).isEqualTo("paid");
        assertThat(answers.at("/paid/paymentId").asText()).isEqualTo("pay-node-" + order.path("orderId").asLong());
        assertThat(answers.at("/migration/orderId").asLong()).isEqualTo(order.path("orderId").asLong());

        await().atMost(Duration.ofSeconds(30)).until(() -> box.applied() != null
                && box.applied().offer().equals("business.v1"));
        // what the Node client was answered is what our own client reads from the same routes
        assertThat(operator.get("/1.0/overTheBox/" + SERVICE).json().path("offer").asText()).isEqualTo("business.v1");
        JsonNode audit = operator.get("/1.0/admin/audit?serviceName=" + SERVICE + "&limit=1000").json();
        List<String> applications = new ArrayList<>();
        audit.forEach(e -> applications.add(e.path("application").asText()));
        assertThat(applications).contains(config.at("/orderSystem/applicationKey").asText(),
                config.at("/billing/applicationKey").asText());
    }

    @Test
    void opensslSClientSeesTls13WithTheServerCertificateAndNoOldProtocol() throws Exception {
        String openssl = prerequisite("openssl", "Debian's openssl package");
        String ca = server.devPki().caFile().toAbsolutePath().toString();
        String connect = "127.0.0.1:" + server.ports().httpPort();
        Process modern = new ProcessBuilder(openssl, "s_client", "-connect", connect, "-CAfile", ca,
                "-verify_return_error", "-verify_ip", "127.0.0.1").redirectErrorStream(true).start();
        modern.getOutputStream().write("GET /1.0/auth/time HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        modern.getOutputStream().flush();
        String output = new String(modern.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(modern.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("Verify return code: 0 (ok)").contains("TLSv1.3").contains("HTTP/1.1 200");

        Process old = new ProcessBuilder(openssl, "s_client", "-connect", connect, "-CAfile", ca, "-tls1_1")
                .redirectErrorStream(true).start();
        old.getOutputStream().close();
        String refused = new String(old.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(old.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(old.exitValue()).as("TLS 1.1 refused: %s", refused).isNotZero();
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode item : array) {
            if (item.path(field).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void assertPrice(JsonNode price, String value) {
        assertThat(price.path("currencyCode").asText()).as(price.toString()).isEqualTo("EUR");
        assertThat(price.path("value").decimalValue()).isEqualByComparingTo(value);
        assertThat(price.path("text").asText()).contains(value);
    }

    private static String prerequisite(String program, String from) {
        Optional<String> found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, program)).filter(Files::isExecutable).map(Path::toString).findFirst();
        if (found.isEmpty()) {
            missing(program + " is not on the PATH (" + from + ", which .ci/run installs)");
        }
        return found.get();
    }

    private static void missing(String reason) {
        if ("true".equals(System.getenv("CI"))) {
            fail(reason + "; CI needs this test to run");
        }
        Assumptions.abort(reason + ": skipped");
    }
}
