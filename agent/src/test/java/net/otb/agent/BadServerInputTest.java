package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.StateStore;
import net.otb.agent.testing.RecordingListener;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** What a broken or newer server sends must not break the agent: it logs, closes, reconnects; or carries on. */
class BadServerInputTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    static TestPki pki;
    static TestServer server;

    Agent agent;
    MemoryBackend backend;
    RecordingListener events;

    @BeforeAll
    static void startServer() throws Exception {
        pki = new TestPki();
        server = TestServer.start(pki);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void startAgent() throws Exception {
        backend = new MemoryBackend();
        events = new RecordingListener();
        agent = Agent.builder()
                .servers(List.of(server.address()))
                .credentials(pki.device("OTB2C-000007"))
                .trust(pki.anchors(), TlsProvider.JDK)
                .backend(backend)
                .stateStore(StateStore.inMemory())
                .listener(events)
                .settings(AgentSettings.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                        .withRenewalWindow(Duration.ofDays(1)))
                .build();
        agent.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopAgent() throws Exception {
        agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    static List<Arguments> badFrames() {
        return List.of(
                Arguments.of("a zero length", frameHeader(0), ErrorCode.MALFORMED_FRAME),
                Arguments.of("an oversized length", frameHeader(70_000), ErrorCode.MALFORMED_FRAME),
                Arguments.of("a negative length", frameHeader(-5), ErrorCode.MALFORMED_FRAME),
                Arguments.of("JSON that is not an object", frame("[1,2,3]"), ErrorCode.INVALID_MESSAGE),
                Arguments.of("broken JSON", frame("{\"type\":\"profile\",\"generation\":"), ErrorCode.INVALID_MESSAGE),
                Arguments.of("a profile failing its checks", frame("{\"type\":\"profile\",\"generation\":-1,"
                        + "\"serviceName\":\"s\",\"offer\":\"o\",\"downKbps\":1,\"upKbps\":1,\"serviceIp\":\"192.0.2.1\","
                        + "\"confirmSeconds\":5}"), ErrorCode.INVALID_MESSAGE),
                Arguments.of("a message of the agent's side", frame("{\"type\":\"renew\",\"csr\":\"x\"}"),
                        ErrorCode.UNEXPECTED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFrames")
    void aBadFrameEndsTheSessionWithAnErrorAndTheAgentReconnects(String what, byte[] bytes, ErrorCode expected)
            throws Exception {
        TestServer.Connection first = server.nextConnection(WAIT);
        first.awaitHello(WAIT);
        events.await("connected:", WAIT);
        first.sendRaw(bytes);
        ErrorMessage error = first.expect(ErrorMessage.class, WAIT);
        assertThat(error.code()).isEqualTo(expected.wire());
        first.closed().get(5, TimeUnit.SECONDS);
        events.await("disconnected:", WAIT);

        TestServer.Connection second = server.nextConnection(WAIT);
        Hello hello = second.awaitHello(WAIT);
        assertThat(hello.deviceId()).isEqualTo("OTB2C-000007");
        events.await("connected:", WAIT);
    }

    @Test
    void anUnknownMessageIsAnsweredUnsupportedAndTheSessionCarriesOn() throws Exception {
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.sendFrame("{\"type\":\"firmwareUpgrade\",\"url\":\"https://example.invalid/fw\"}");
        ErrorMessage error = connection.expect(ErrorMessage.class, WAIT);
        assertThat(error.code()).isEqualTo(ErrorCode.UNSUPPORTED.wire());
        assertThat(error.detail()).contains("firmwareUpgrade");

        // an unknown field in a known message is ignored too (forward compatibility)
        connection.sendFrame("{\"type\":\"profile\",\"generation\":1,\"serviceName\":\"otb-svc-7\",\"offer\":\"starter.v1\","
                + "\"downKbps\":500000,\"upKbps\":500000,\"serviceIp\":\"192.0.2.7\",\"confirmSeconds\":30,"
                + "\"priority\":\"high\"}");
        assertThat(connection.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.APPLIED);
        assertThat(connection.isOpen()).isTrue();
        assertThat(backend.inForce()).isEqualTo(new BandwidthProfile(1, "otb-svc-7", "starter.v1", 500_000, 500_000,
                "192.0.2.7"));
    }

    @Test
    void aProfileBeforeWelcomeIsAProtocolViolation() throws Exception {
        server.autoWelcome(false);
        try {
            TestServer.Connection connection = server.nextConnection(WAIT);
            connection.awaitHello(WAIT);
            connection.send(ProfilePush.of(new BandwidthProfile(1, "otb-svc-7", "starter.v1", 1, 1, "192.0.2.7"), 5));
            assertThat(connection.expect(ErrorMessage.class, WAIT).code()).isEqualTo(ErrorCode.UNEXPECTED.wire());
            connection.closed().get(5, TimeUnit.SECONDS);
            assertThat(backend.operations()).isEmpty();
        } finally {
            server.autoWelcome(true);
        }
    }

    private static byte[] frameHeader(int length) {
        return ByteBuffer.allocate(8).putInt(length).putInt(0x7b7d7b7d).array();
    }

    private static byte[] frame(String json) {
        byte[] payload = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
    }
}
