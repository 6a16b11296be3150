package net.otb.simulator.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.agent.Agent;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceBackends;
import net.otb.agent.linux.NetnsLab;
import net.otb.agent.state.StateStore;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.auth.Role;
import net.otb.simulator.fleet.ApiAccess;
import net.otb.simulator.fleet.ServerApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain on a real kernel: the order system changes a service's offer over the server's HTTP API and pays;
 * the provisioning server pushes the new profile over mutual TLS (loopback) to a real agent whose backend is
 * {@code linux-tc} (found by name, as the agent's config selects it), shaping the box side of two network
 * namespaces; iperf3 measures that the throughput follows.
 *
 * <p>The agent's control plane runs in this JVM, in the host namespace, talking to the server on 127.0.0.1; its
 * data plane (the shaped interface) is in the box namespace, where the backend runs its commands. The lab catalog
 * keeps the real offer names with rates a shared 2-core CI machine measures reliably: Starter 20/10 Mbit/s,
 * Business 40/20 Mbit/s.
 */
class ShapedOfferChangeTest {

    private static final RandomGenerator RANDOM = RandomGenerator.getDefault();
    private static final String SERIAL = "OTB3-LAB001";
    private static final String SERVICE = "otb-lab-shaping";
    private static final String SERVICE_IP = "192.0.2.10";
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int SECONDS = 3;

    @TempDir
    Path data;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void machineCanShape() throws IOException {
        NetnsLab.requireSupport(RANDOM);
        NetnsLab.removeLeftovers();
    }

    @AfterEach
    void tearDown() throws Exception {
        Exception first = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Test
    void aPaidOfferChangeReachesTheKernelAndTheThroughputFollows() throws Exception {
        NetnsLab lab = NetnsLab.create(RANDOM);
        toClose.add(lab);
        lab.startIperfServer();

        ServerConfig config = ServerConfig.ephemeral(data.resolve("server")).withCatalogFile(labCatalog())
                .withTls(TlsProvider.AUTO);
        ProvisioningServer server = ProvisioningServer.builder(config).clock(Clock.systemUTC())
                .random(new SecureRandom()).build();
        toClose.add(server);
        ProvisioningServer.Ports ports = server.start();
        DevPki pki = server.devPki();
        ServerApi api = new ServerApi(ApiAccess.of(URI.create("https://127.0.0.1:" + ports.httpPort() + "/"),
                List.of(pki.caCertificate()), List.of(server.createCredential("lab-operator", Role.OPERATOR),
                        server.createCredential("lab-order-system", Role.ORDER_SYSTEM),
                        server.createCredential("lab-billing", Role.BILLING)), Clock.systemUTC()),
                Duration.ofSeconds(10));
        api.post("/1.0/admin/devices", ServerApi.body("serial", SERIAL, "model", "v3"));
        api.post("/1.0/admin/services", ServerApi.body("serviceName", SERVICE, "account", "lab-account",
                "offer", "starter.v1", "serviceIp", SERVICE_IP, "deviceId", SERIAL));

        DeviceBackend backend = DeviceBackends.create("linux-tc", Map.of("interface", NetnsLab.BOX_IF,
                "netns", lab.box(), "model", "v3", "firmware", "lab"));
        toClose.add(backend);
        Agent agent = Agent.builder()
                .server("127.0.0.1", ports.agentPort())
                .credentials(pki.deviceCredentialsInMemory(SERIAL, new SecureRandom()))
                .trust(List.of(pki.caCertificate()), TlsProvider.AUTO)
                .backend(backend)
                .stateStore(StateStore.inMemory())
                .clock(Clock.systemUTC())
                .random(RANDOM)
                .build();
        toClose.add(() -> agent.stop().toCompletableFuture().get(10, TimeUnit.SECONDS));
        agent.start().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        awaitInForce(api, backend, "starter.v1", 20_000, 10_000);
        assertThroughput(lab, 20_000, 10_000);

        JsonNode quote = api.get("/1.0/order/overTheBox/" + SERVICE + "/migrate" + ServerApi.query("offer", "business.v1"));
        List<String> contracts = new ArrayList<>();
        quote.path("contracts").forEach(c -> contracts.add(c.path("name").asText()));
        JsonNode order = api.post("/1.0/overTheBox/" + SERVICE + "/migration/changeOffers",
                ServerApi.body("offer", "business.v1", "acceptedContracts", contracts));
        api.post("/1.0/me/order/" + order.path("orderId").asLong() + "/pay", Map.of());

        awaitInForce(api, backend, "business.v1", 40_000, 20_000);
        assertThroughput(lab, 40_000, 20_000);
        JsonNode service = api.get("/1.0/overTheBox/" + SERVICE);
        assertThat(service.path("serviceIp").asText()).isEqualTo(SERVICE_IP);
        assertThat(backend.describe().details()).containsEntry("shaping", "shaped");
    }

    /** Waits until the kernel (read back by the backend) and the server both show {@code offer} in force. */
    private static void awaitInForce(ServerApi api, DeviceBackend backend, String offer, long downKbps, long upKbps) {
        await(offer + " in force").atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            assertThat(backend.describe().downKbps()).isEqualTo(downKbps);
            assertThat(backend.describe().upKbps()).isEqualTo(upKbps);
            JsonNode service = api.get("/1.0/overTheBox/" + SERVICE);
            assertThat(service.path("offer").asText()).isEqualTo(offer);
            assertThat(service.path("appliedGeneration").asLong())
                    .isEqualTo(service.path("desiredGeneration").asLong());
        });
    }

    private static void assertThroughput(NetnsLab lab, long downKbps, long upKbps) throws IOException {
        double down = lab.measureMbps(true, SECONDS);
        double up = lab.measureMbps(false, SECONDS);
        assertThat(down).as("download Mbit/s").isCloseTo(downKbps / 1000.0, within(downKbps / 1000.0 * 0.10));
        assertThat(up).as("upload Mbit/s").isCloseTo(upKbps / 1000.0, within(upKbps / 1000.0 * 0.10));
    }

    /** The bundled catalog's offers, at rates this machine can measure. */
    private Path labCatalog() throws IOException {
        Path file = data.resolve("lab-catalog.json");
        Files.writeString(file, """
                {
                  "offers": [
                    {"name": "starter.v1", "displayName": "OverTheBox Starter (lab: 20/10 Mbps)",
                     "downKbps": 20000, "upKbps": 10000, "monthlyPriceCents": 1999, "legacy": false,
                     "engagementMonths": 0,
                     "contracts": [{"name": "otb-general-conditions", "url": "https://contracts.example/otb/gc.pdf"}]},
                    {"name": "business.v1", "displayName": "OverTheBox Business (lab: 40/20 Mbps)",
                     "downKbps": 40000, "upKbps": 20000, "monthlyPriceCents": 3999, "legacy": false,
                     "engagementMonths": 0,
                     "contracts": [{"name": "otb-general-conditions", "url": "https://contracts.example/otb/gc.pdf"},
                                   {"name": "otb-business-special-conditions",
                                    "url": "https://contracts.example/otb/business.pdf"}]}
                  ],
                  "hardware": [
                    {"name": "otbv3", "displayName": "OverTheBox v3", "priceCents": 24999, "shippingIncluded": true,
                     "model": "v3"}
                  ],
                  "models": [
                    {"name": "v3", "displayName": "OverTheBox v3", "nominalKbps": 2000000}
                  ]
                }
                """);
        return file;
    }
}
