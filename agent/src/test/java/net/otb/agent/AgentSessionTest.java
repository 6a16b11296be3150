package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.agent.testing.RecordingListener;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's session against a real mTLS server on loopback: apply, idempotence, commit-confirmed, refusals. */
class AgentSessionTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String DEVICE = "OTB3-000042";

    static TestPki pki;
    static EventLoopGroup group;

    @TempDir
    Path stateDir;

    TestServer server;
    MemoryBackend backend;
    RecordingListener events;
    final List<Agent> agents = new ArrayList<>();

    @BeforeAll
    static void pki() {
        pki = new TestPki();
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void group() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @BeforeEach
    void setUp() throws Exception {
        server = TestServer.start(pki.server(), pki, group);
        backend = new MemoryBackend();
        events = new RecordingListener();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Agent agent : agents) {
            agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        server.close();
    }

    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-42", "business.v1", 1_000_000 + generation,
                500_000 + generation, "192.0.2.42");
    }

    static ProfilePush push(long generation, int confirmSeconds) {
        return ProfilePush.of(profile(generation), confirmSeconds);
    }

    Agent.Builder builder() {
        return Agent.builder()
                .servers(List.of(server.address()))
                .credentials(pki.device(DEVICE))
                .trust(pki.anchors(), net.otb.protocol.tls.TlsProvider.JDK)
                .backend(backend)
                .stateDirectory(stateDir)
                .eventLoopGroup(group)
                .listener(events)
                .settings(AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(400))
                        .withRenewalWindow(Duration.ofDays(1)));
    }

    Agent start(Agent.Builder builder) {
        Agent agent = builder.build();
        agents.add(agent);
        agent.start().toCompletableFuture().join();
        return agent;
    }

    @Test
    void aProfileIsAppliedOnceAndTheSameGenerationIsAckedAgainWhileAnOlderOneIsIgnored() throws Exception {
        Agent agent = start(builder());
        TestServer.Connection connection = server.nextConnection(WAIT);
        Hello hello = connection.awaitHello(WAIT);
        assertThat(hello.deviceId()).isEqualTo(DEVICE);
        assertThat(hello.applied()).isNull();
        assertThat(hello.capabilities()).contains("shaping.memory");
        events.await("connected:", WAIT);

        connection.send(push(5, 60));
        assertThat(connection.expect(Applied.class, WAIT)).isEqualTo(new Applied(5, Applied.Status.APPLIED, null));
        connection.send(new Confirm(5));
        events.await("confirmed:5", WAIT);

        connection.send(push(5, 60));
        Applied again = connection.expect(Applied.class, WAIT);
        assertThat(again.generation()).isEqualTo(5);
        assertThat(again.status()).isEqualTo(Applied.Status.APPLIED);

        connection.send(push(3, 60));
        connection.send(push(6, 60));
        // the answer after the older push is the newer one's: generation 3 got no answer and was not applied
        assertThat(connection.expect(Applied.class, WAIT).generation()).isEqualTo(6);
        assertThat(backend.operations()).containsExactly("apply:5", "apply:6");
        assertThat(agent.status().applied()).isEqualTo(profile(6));
        assertThat(agent.status().previous()).isEqualTo(profile(5));
        assertThat(agent.status().pendingConfirm()).isEqualTo(6L);
        assertThat(StateStore.directory(stateDir).load().applied()).isEqualTo(profile(6));
    }

    @Test
    void withoutConfirmTheAgentRollsBackAndReportsRolledBackWhenItIsBack() throws Exception {
        Agent agent = start(builder());
        TestServer.Connection first = server.nextConnection(WAIT);
        first.awaitHello(WAIT);
        first.send(push(1, 60));
        first.expect(Applied.class, WAIT);
        first.send(new Confirm(1));
        events.await("confirmed:1", WAIT);

        first.send(push(2, 1));
        assertThat(first.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.APPLIED);
        // the server loses the box right after the change: no confirm ever comes
        server.stop();
        events.await("rolledBack:2", WAIT);
        assertThat(backend.inForce()).isEqualTo(profile(1));
        assertThat(agent.status().applied()).isEqualTo(profile(1));
        assertThat(agent.status().pendingConfirm()).isNull();
        AgentState saved = StateStore.directory(stateDir).load();
        assertThat(saved.applied()).isEqualTo(profile(1));
        assertThat(saved.unreportedRollback()).isEqualTo(2L);

        server.restart();
        TestServer.Connection back = server.nextConnection(WAIT);
        assertThat(back.awaitHello(WAIT).applied()).isEqualTo(profile(1));
        Applied report = back.expect(Applied.class, WAIT);
        assertThat(report.generation()).isEqualTo(2);
        assertThat(report.status()).isEqualTo(Applied.Status.ROLLED_BACK);
        await().atMost(WAIT).until(() -> StateStore.directory(stateDir).load().unreportedRollback() == null);
        assertThat(backend.operations()).containsExactly("apply:1", "apply:2", "apply:1");
    }

    @Test
    void aBackendFailureIsRejectedWithItsReasonAndThePreviousProfileStays() throws Exception {
        Agent agent = start(builder());
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.send(push(1, 60));
        connection.expect(Applied.class, WAIT);
        connection.send(new Confirm(1));
        events.await("confirmed:1", WAIT);

        backend.failNextApplies(1, "tc: RTNETLINK answers: No such device");
        connection.send(push(2, 60));
        assertThat(connection.expect(Applied.class, WAIT))
                .isEqualTo(new Applied(2, Applied.Status.REJECTED, "tc: RTNETLINK answers: No such device"));
        events.await("rejected:2:tc: RTNETLINK", WAIT);
        assertThat(backend.inForce()).isEqualTo(profile(1));
        assertThat(agent.status().applied()).isEqualTo(profile(1));
        assertThat(StateStore.directory(stateDir).load().applied()).isEqualTo(profile(1));

        // the same generation pushed again is applied this time: a rejection is not remembered as applied
        connection.send(push(2, 60));
        assertThat(connection.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.APPLIED);
        assertThat(backend.inForce()).isEqualTo(profile(2));
    }

    @Test
    void startupReappliesTheSavedProfileBeforeConnecting() throws Exception {
        StateStore.directory(stateDir).save(new AgentState(profile(7), profile(6), null, null, null));
        start(builder());
        Hello hello = server.nextConnection(WAIT).awaitHello(WAIT);
        assertThat(hello.applied()).isEqualTo(profile(7));
        assertThat(backend.operations()).containsExactly("apply:7");
    }

    @Test
    void aPendingConfirmWhoseDeadlinePassedWhileStoppedIsRolledBackAtStart() throws Exception {
        StateStore.directory(stateDir).save(new AgentState(profile(7), profile(6),
                new AgentState.PendingConfirm(7, System.currentTimeMillis() - 1_000), null, null));
        start(builder());
        TestServer.Connection connection = server.nextConnection(WAIT);
        assertThat(connection.awaitHello(WAIT).applied()).isEqualTo(profile(6));
        assertThat(connection.expect(Applied.class, WAIT)).extracting(Applied::generation, Applied::status)
                .containsExactly(7L, Applied.Status.ROLLED_BACK);
        assertThat(backend.operations()).containsExactly("apply:6");
    }

    @Test
    void decommissionClearsTheShapingStopsAndStaysStoppedAfterARestart() throws Exception {
        Agent agent = start(builder());
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.send(push(1, 60));
        connection.expect(Applied.class, WAIT);
        connection.send(new Decommission("box replaced by OTB3-000043"));
        events.await("decommissioned:box replaced", WAIT);
        agent.terminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(agent.status().phase()).isEqualTo(AgentStatus.Phase.DECOMMISSIONED);
        assertThat(backend.inForce()).isNull();
        assertThat(backend.operations()).endsWith("clear");
        connection.closed().get(5, TimeUnit.SECONDS);

        Agent again = start(builder());
        again.terminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(again.status().phase()).isEqualTo(AgentStatus.Phase.DECOMMISSIONED);
        assertThat(server.handshakes()).isEqualTo(1);
    }

    @Test
    void aStopAfterADecommissionOfAnAgentOnItsOwnLoopFinishesCleanly() throws Exception {
        Agent agent = start(builder().eventLoopGroup(null));
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.send(new Decommission("box replaced by OTB3-000044"));
        agent.terminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
        // what the daemon's shutdown hook does when the JVM then exits
        agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(agent.status().phase()).isEqualTo(AgentStatus.Phase.DECOMMISSIONED);
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        start(builder());
        TestServer.Connection first = server.nextConnection(WAIT);
        first.awaitHello(WAIT);
        long sent = System.nanoTime();
        first.send(new RetryAfter(1));
        events.await("retryAfter:1", WAIT);
        first.closed().get(5, TimeUnit.SECONDS);
        server.nextConnection(WAIT);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void supersededClosesTheSessionAndTheAgentComesBackLater() throws Exception {
        start(builder());
        TestServer.Connection first = server.nextConnection(WAIT);
        first.awaitHello(WAIT);
        first.send(ErrorMessage.of(ErrorCode.SUPERSEDED, "a newer session of OTB3-000042 took over"));
        assertThat(events.await("disconnected:", WAIT)).contains("superseded");
        first.closed().get(5, TimeUnit.SECONDS);
        server.nextConnection(WAIT).awaitHello(WAIT);
    }

    @Test
    void threeMissedHeartbeatsCloseTheLinkAndTheAgentReconnects() throws Exception {
        server.heartbeatSeconds(1).autoPong(false);
        start(builder());
        TestServer.Connection first = server.nextConnection(WAIT);
        first.awaitHello(WAIT);
        ErrorMessage error = first.expect(ErrorMessage.class, WAIT);
        assertThat(error.code()).isEqualTo(ErrorCode.TIMEOUT.wire());
        assertThat(events.await("disconnected:", WAIT)).contains("heartbeats");
        server.autoPong(true);
        server.nextConnection(WAIT).awaitHello(WAIT);
    }

    @Test
    void serversAreTriedInTurn() throws Exception {
        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        start(builder().servers(List.of(new ServerAddress("127.0.0.1", deadPort), server.address())));
        assertThat(events.await("disconnected:", WAIT)).contains("cannot connect");
        assertThat(server.nextConnection(WAIT).awaitHello(WAIT).deviceId()).isEqualTo(DEVICE);
    }

    @Test
    void aServerWhoseCertificateDoesNotNameTheConfiguredHostIsRefused() throws Exception {
        java.security.KeyPair key = net.otb.protocol.pki.KeyPairs.p256(new java.security.SecureRandom());
        java.security.cert.X509Certificate other = pki.authority().issueServer(key.getPublic(), "other.example",
                List.of("other.example"), List.of(), java.time.Instant.now(), Duration.ofDays(1));
        try (TestServer impostor = TestServer.start(new net.otb.protocol.pki.Credentials(key.getPrivate(),
                List.of(other, pki.authority().certificate())), pki, group)) {
            start(builder().servers(List.of(impostor.address())));
            String reason = events.await("disconnected:", WAIT);
            assertThat(reason).containsIgnoringCase("TLS");
            assertThat(impostor.handshakes()).isZero();
        }
    }

    @Test
    void stopClosesTheSessionAndKeepsTheShaping() throws Exception {
        Agent agent = start(builder());
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.send(push(1, 60));
        connection.expect(Applied.class, WAIT);
        agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
        connection.closed().get(5, TimeUnit.SECONDS);
        assertThat(agent.status().phase()).isEqualTo(AgentStatus.Phase.STOPPED);
        assertThat(backend.inForce()).isEqualTo(profile(1));
        assertThat(backend.operations()).doesNotContain("clear");
    }
}
