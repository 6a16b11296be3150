package net.otb.server.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.otb.protocol.pki.DevPki;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server runs as a child JVM on a data folder, is killed (SIGKILL) while offer changes are being
 * answered and pushed to many boxes, and restarts on the same folder: every change that was answered is
 * there exactly once (retries with the same Idempotency-Key replay), and every box ends on its service's
 * last generation.
 */
class CrashRecoveryTest {

    static final int BOXES = 20;
    static final int ROUNDS = 3;

    @Test
    void killedInTheMiddleOfPushesTheServerRestartsLosesNothingAnsweredAndEveryPushCompletes(@TempDir Path dir)
            throws Exception {
        String[] timings = {"--ack-timeout-seconds", "2", "--heartbeat-seconds", "5"};
        AtomicReference<ChildServer> child = new AtomicReference<>(ChildServer.start(dir, timings));
        AtomicInteger agentPort = new AtomicInteger(child.get().agentPort());
        Http http = child.get().http();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        DevPki pki = DevPki.open(dir.resolve("pki"), Clock.systemUTC(), new SecureRandom());
        List<TestAgent> agents = new ArrayList<>();
        try {
            for (int i = 0; i < BOXES; i++) {
                String serial = "OTB3-C" + i;
                assertThat(http.post("/1.0/admin/devices", "{\"serial\":\"" + serial + "\",\"model\":\"v3\"}").status())
                        .isEqualTo(201);
                assertThat(http.post("/1.0/admin/services", "{\"serviceName\":\"otb-crash-" + i + "\",\"account\":\"a\","
                        + "\"offer\":\"starter.v1\",\"serviceIp\":\"203.0.113." + (i + 1) + "\",\"deviceId\":\"" + serial
                        + "\"}").status()).isEqualTo(201);
                TestAgent agent = new TestAgent(group, pki.deviceCredentialsInMemory(serial, new SecureRandom()),
                        List.of(pki.caCertificate()), serial, "v3", true);
                agents.add(agent.reconnectTo(agentPort::get).connect(agentPort.get()));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> agents.stream()
                    .allMatch(a -> a.applied() != null && a.applied().generation() == 1));

            // offer changes, each retried with its own key until answered; the server is killed midway
            Map<String, List<Long>> answered = new ConcurrentHashMap<>();
            CountDownLatch halfway = new CountDownLatch(BOXES);
            Thread writer = new Thread(() -> {
                for (int round = 1; round <= ROUNDS; round++) {
                    for (int i = 0; i < BOXES; i++) {
                        String service = "otb-crash-" + i;
                        String offer = round % 2 == 1 ? "business.v1" : "starter.v1";
                        long generation = changeUntilAnswered(http, service, offer, "change-" + service + "-" + round);
                        answered.computeIfAbsent(service, s -> new ArrayList<>()).add(generation);
                        halfway.countDown();
                    }
                }
            }, "writer");
            writer.start();
            assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
            child.get().kill();
            child.set(ChildServer.start(dir, timings));
            agentPort.set(child.get().agentPort());
            http.port(child.get().httpPort());
            writer.join(TimeUnit.SECONDS.toMillis(90));
            assertThat(writer.isAlive()).isFalse();

            for (int i = 0; i < BOXES; i++) {
                String service = "otb-crash-" + i;
                // every answered change is there exactly once, in order
                assertThat(answered.get(service)).containsExactly(2L, 3L, 4L);
            }
            await().atMost(Duration.ofSeconds(45)).until(() -> agents.stream()
                    .allMatch(a -> a.applied() != null && a.applied().generation() == 1 + ROUNDS));
            for (int i = 0; i < BOXES; i++) {
                String service = "otb-crash-" + i;
                TestAgent agent = agents.get(i);
                assertThat(agent.applied().offer()).isEqualTo("business.v1");
                assertThat(agent.applied().serviceIp()).isEqualTo("203.0.113." + (i + 1));
                JsonNode view = http.get("/1.0/overTheBox/" + service).json();
                await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/1.0/overTheBox/" + service).json()
                        .path("appliedGeneration").asLong() == 1 + ROUNDS);
                assertThat(view.path("desiredGeneration").asLong()).isEqualTo(1 + ROUNDS);
            }
        } finally {
            agents.forEach(TestAgent::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            child.get().close();
        }
    }

    private static long changeUntilAnswered(Http http, String service, String offer, String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                Http.Answer answer = http.post("/1.0/admin/services/" + service + "/desiredOffer",
                        "{\"offer\":\"" + offer + "\"}", key);
                if (answer.status() == 200) {
                    return answer.json().path("generation").asLong();
                }
            } catch (IOException e) {
                // the server is down: retry the same request with the same key
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no answer for " + key);
    }
}
