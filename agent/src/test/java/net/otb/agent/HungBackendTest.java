package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceDescription;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.StateStore;
import net.otb.agent.testing.RecordingListener;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend call that never completes, over a real mTLS session: the agent gives up on it after its backend
 * timeout, answers {@code rejected}, puts the previous shaping back, and applies the next push.
 */
class HungBackendTest {

    static final Duration WAIT = Duration.ofSeconds(15);
    static final Duration BACKEND_TIMEOUT = Duration.ofMillis(700);
    static final String DEVICE = "OTB3-000077";

    static TestPki pki;
    static EventLoopGroup group;

    @TempDir
    Path stateDir;

    TestServer server;
    HangingBackend backend;
    RecordingListener events;
    Agent agent;

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
        backend = new HangingBackend();
        events = new RecordingListener();
        agent = Agent.builder()
                .servers(List.of(server.address()))
                .credentials(pki.device(DEVICE))
                .trust(pki.anchors(), net.otb.protocol.tls.TlsProvider.JDK)
                .backend(backend)
                .stateDirectory(stateDir)
                .eventLoopGroup(group)
                .listener(events)
                .settings(AgentSettings.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(400))
                        .withRenewalWindow(Duration.ofDays(1)).withBackendTimeout(BACKEND_TIMEOUT))
                .build();
        agent.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
        server.close();
    }

    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-77", "business.v1", 1_000_000 + generation,
                500_000 + generation, "192.0.2.77");
    }

    static ProfilePush push(long generation) {
        return ProfilePush.of(profile(generation), 60);
    }

    TestServer.Connection confirmedAt(long generation) throws Exception {
        TestServer.Connection connection = server.nextConnection(WAIT);
        connection.awaitHello(WAIT);
        connection.send(push(generation));
        assertThat(connection.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.APPLIED);
        connection.send(new Confirm(generation));
        events.await("confirmed:" + generation, WAIT);
        return connection;
    }

    @Test
    void anApplyThatNeverCompletesIsRejectedThePreviousShapingRestoredAndTheNextPushApplied() throws Exception {
        TestServer.Connection connection = confirmedAt(1);

        backend.hang(2);
        connection.send(push(2));
        Applied answer = connection.expect(Applied.class, WAIT);
        assertThat(answer.generation()).isEqualTo(2);
        assertThat(answer.status()).isEqualTo(Applied.Status.REJECTED);
        assertThat(answer.detail()).contains("did not apply generation 2 within 700 ms").contains("restored generation 1");
        events.await("rejected:2:", WAIT);
        // the previous profile was put back over whatever the hung call left, and the saved state never moved
        assertThat(backend.memory.operations()).containsExactly("apply:1", "apply:1");
        assertThat(agent.status().applied()).isEqualTo(profile(1));
        assertThat(agent.status().pendingConfirm()).isNull();
        assertThat(StateStore.directory(stateDir).load().applied()).isEqualTo(profile(1));

        // the session goes on and the queue is free: the next push is applied and confirmed
        connection.send(push(3));
        assertThat(connection.expect(Applied.class, WAIT)).isEqualTo(new Applied(3, Applied.Status.APPLIED, null));
        connection.send(new Confirm(3));
        events.await("confirmed:3", WAIT);
        assertThat(backend.memory.inForce()).isEqualTo(profile(3));
        assertThat(StateStore.directory(stateDir).load().applied()).isEqualTo(profile(3));
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void aHungApplyThatFinishesLateDoesNotLeaveItsProfileInForce() throws Exception {
        TestServer.Connection connection = confirmedAt(1);
        backend.hang(2);
        connection.send(push(2));
        assertThat(connection.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.REJECTED);
        connection.send(push(3));
        assertThat(connection.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.APPLIED);

        // the box finally runs the call the agent gave up on: generation 2 lands over 3
        backend.release(2);
        await().atMost(WAIT).until(() -> profile(3).equals(backend.memory.inForce()));
        assertThat(backend.memory.operations()).containsExactly("apply:1", "apply:1", "apply:3", "apply:2",
                "apply:3");
        assertThat(agent.status().applied()).isEqualTo(profile(3));
    }

    @Test
    void aRestoreThatHangsTooStillAnswersAndTheNextPushIsApplied() throws Exception {
        TestServer.Connection connection = confirmedAt(1);
        backend.hang(2);
        backend.hang(1);
        connection.send(push(2));
        Applied answer = connection.expect(Applied.class, WAIT);
        assertThat(answer.status()).isEqualTo(Applied.Status.REJECTED);
        assertThat(answer.detail()).contains("restoring generation 1 failed too")
                .contains("did not apply generation 1 within 700 ms");
        assertThat(StateStore.directory(stateDir).load().applied()).isEqualTo(profile(1));

        connection.send(push(3));
        assertThat(connection.expect(Applied.class, WAIT)).isEqualTo(new Applied(3, Applied.Status.APPLIED, null));
        assertThat(backend.memory.inForce()).isEqualTo(profile(3));
    }

    /** A memory backend whose apply of chosen generations hangs until the test releases it (or forever). */
    static final class HangingBackend implements DeviceBackend {

        final MemoryBackend memory = new MemoryBackend();
        final Set<Long> toHang = ConcurrentHashMap.newKeySet();
        final Map<Long, Runnable> hung = new ConcurrentHashMap<>();

        void hang(long generation) {
            toHang.add(generation);
        }

        /** The hung apply of {@code generation} now happens, then completes. */
        void release(long generation) {
            await().atMost(WAIT).until(() -> hung.containsKey(generation));
            hung.remove(generation).run();
        }

        @Override
        public CompletionStage<Void> apply(BandwidthProfile profile) {
            if (toHang.remove(profile.generation())) {
                CompletableFuture<Void> never = new CompletableFuture<>();
                hung.put(profile.generation(), () -> memory.apply(profile).thenRun(() -> never.complete(null)));
                return never;
            }
            return memory.apply(profile);
        }

        @Override
        public CompletionStage<Void> clear() {
            return memory.clear();
        }

        @Override
        public DeviceDescription describe() {
            return memory.describe();
        }
    }
}
