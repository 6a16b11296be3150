package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.StateStore;
import net.otb.agent.testing.RecordingListener;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.Test;

/** Server down: the agent retries with growing jittered delays; server back: the session resumes and reconciles. */
class ReconnectTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    /** A seeded source that remembers every ceiling the agent drew a delay under, and the delays drawn. */
    static final class Watched implements RandomGenerator {
        final Random random = new Random(7);
        final List<long[]> draws = new CopyOnWriteArrayList<>();

        @Override
        public long nextLong() {
            return random.nextLong();
        }

        @Override
        public long nextLong(long bound) {
            long value = random.nextLong(bound);
            draws.add(new long[] {bound - 1, value});
            return value;
        }
    }

    @Test
    void delaysGrowWithJitterWhileTheServerIsDownAndTheSessionResumesWhenItIsBack() throws Exception {
        TestPki pki = new TestPki();
        Watched random = new Watched();
        RecordingListener events = new RecordingListener();
        MemoryBackend backend = new MemoryBackend();
        try (TestServer server = TestServer.start(pki)) {
            Agent agent = Agent.builder()
                    .servers(List.of(server.address()))
                    .credentials(pki.device("OTB2B-000100"))
                    .trust(pki.anchors(), TlsProvider.JDK)
                    .backend(backend)
                    .stateStore(StateStore.inMemory())
                    .listener(events)
                    .random(random)
                    .settings(AgentSettings.defaults().withBackoff(Duration.ofMillis(10), Duration.ofMillis(160))
                            .withRenewalWindow(Duration.ofDays(1)))
                    .build();
            agent.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                TestServer.Connection first = server.nextConnection(WAIT);
                first.awaitHello(WAIT);
                first.send(ProfilePush.of(new BandwidthProfile(1, "otb-svc-100", "starter.v1", 500_000, 500_000,
                        "198.51.100.10"), 1));
                first.expect(Applied.class, WAIT);

                server.stop();
                // wait until the ceiling has reached the cap and stayed there a few times
                await().atMost(WAIT).until(() -> random.draws.size() >= 8);
                List<long[]> draws = List.copyOf(random.draws);
                long[] ceilings = draws.stream().mapToLong(d -> d[0]).toArray();
                assertThat(ceilings).startsWith(10, 20, 40, 80, 160, 160);
                for (long[] draw : draws) {
                    assertThat(draw[1]).isBetween(0L, draw[0]);
                }
                assertThat(draws.stream().mapToLong(d -> d[1]).distinct().count()).isGreaterThan(3);

                // the unconfirmed profile was rolled back meanwhile; back online, the agent says so
                events.await("rolledBack:1", WAIT);
                server.restart();
                TestServer.Connection back = server.nextConnection(WAIT);
                assertThat(back.awaitHello(WAIT).applied()).isNull();
                assertThat(back.expect(Applied.class, WAIT).status()).isEqualTo(Applied.Status.ROLLED_BACK);
                events.await("connected:", WAIT);
                assertThat(agent.status().connected()).isTrue();
            } finally {
                agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
    }
}
