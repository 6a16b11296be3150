package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Ping;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.Welcome;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Admission limits, the hello timeout and the heartbeat, each on a server configured tight. */
class ConnectionLimitsTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void connectionsOverThePerSourceRateOrTheGlobalCapAreToldToRetryLater(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g.withLimits(2, 1, 1))) {
            harness.registerBox("OTB3-L1", "v3");
            harness.registerBox("OTB3-L2", "v3");
            try (TestAgent first = harness.agent("OTB3-L1", true);
                 TestAgent second = harness.agent("OTB3-L2", true)) {
                // back to back: the bucket holds one token and refills one per second; whichever the server accepts
                // first gets it (the two connections race), the other is told to come back
                first.connect(harness.agentPort());
                second.connect(harness.agentPort());
                // the refused one is closed once told; the admitted one stays (waiting on the closes reads no message)
                java.util.concurrent.CompletableFuture.anyOf(first.closeFuture(), second.closeFuture())
                        .get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                TestAgent refused = first.closeFuture().isDone() ? first : second;
                TestAgent admitted = refused == first ? second : first;
                RetryAfter rate = refused.await(RetryAfter.class, WAIT);
                assertThat(rate.seconds()).isBetween(1, 10);
                admitted.await(Welcome.class, WAIT);
                assertThat(admitted.isActive()).isTrue();
            }
            assertThat(harness.http.get("/metrics").body()).contains("otb_connections_refused_total{reason=\"rate\"} 1");
        }
    }

    @Test
    void aConnectionOverTheGlobalCapIsToldToRetryLater(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g.withLimits(1, 1000, 1000))) {
            harness.registerBox("OTB3-C1", "v3");
            try (TestAgent first = harness.agent("OTB3-C1", true).connect(harness.agentPort());
                 TestAgent second = harness.agent("OTB3-C2", true)) {
                first.await(Welcome.class, WAIT);
                second.connect(harness.agentPort());
                assertThat(second.await(RetryAfter.class, WAIT).seconds()).isBetween(5, 30);
                assertThat(second.closeFuture()).succeedsWithin(WAIT);
                assertThat(first.isActive()).isTrue();
            }
        }
    }

    @Test
    void aBoxThatSaysNothingAfterTheHandshakeIsClosedAtTheHelloTimeout(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> new GatewayConfig(g.host(), 0, 10, 1, 30, 30, 20, 3,
                100, 100, 100, 5, 0, 2))) {
            harness.registerBox("OTB3-H1", "v3");
            try (TestAgent agent = harness.agent("OTB3-H1", true)) {
                agent.connectWithoutHello(harness.agentPort());
                ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
                assertThat(error.code()).isEqualTo("timeout");
                assertThat(error.detail()).contains("no hello within 1 s");
                assertThat(agent.closeFuture()).succeedsWithin(WAIT);
            }
        }
    }

    @Test
    void aSessionWhoseBoxStopsAnsweringIsClosedAfterThreeHeartbeats(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g.withTimings(1, 30, 20, 5))) {
            harness.registerBox("OTB3-S1", "v3");
            try (TestAgent agent = harness.agent("OTB3-S1", true).silent().connect(harness.agentPort())) {
                assertThat(agent.await(Welcome.class, WAIT).heartbeatSeconds()).isEqualTo(1);
                agent.await(Ping.class, WAIT);
                ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
                assertThat(error.code()).isEqualTo("timeout");
                assertThat(agent.closeFuture()).succeedsWithin(WAIT);
            }
        }
    }
}
