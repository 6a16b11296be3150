package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Credentials;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS 1.3 resumption through the whole gateway: a box that reconnects resumes its session (BoringSSL's own count)
 * and is welcomed; a box whose certificate was revoked after its ticket was issued resumes TLS but is refused
 * before its hello, because the gateway checks every established session against the revocation list.
 */
class SessionResumptionGatewayTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    static ServerHarness harness;

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    static long metric(String line) throws Exception {
        String body = harness.http.get("/metrics").body();
        for (String l : body.split("\n")) {
            if (l.startsWith(line + " ")) {
                return (long) Double.parseDouble(l.substring(line.length() + 1).trim());
            }
        }
        return 0;
    }

    @Test
    void aBoxThatReconnectsResumesItsTlsSessionAndIsWelcomed() throws Exception {
        harness.registerBox("OTB3-200001", "v3");
        try (TestAgent agent = harness.agent("OTB3-200001", true).connect(harness.agentPort())) {
            agent.await(Welcome.class, WAIT);
            long resumed = metric("otb_tls_resumed_total");
            agent.dropConnection();
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);

            agent.connect(harness.agentPort());
            agent.await(Welcome.class, WAIT);
            assertThat(metric("otb_tls_resumed_total")).isEqualTo(resumed + 1);
        }
    }

    @Test
    void aBoxRevokedAfterItsTicketWasIssuedIsRefusedThoughItsTlsSessionResumes() throws Exception {
        harness.registerBox("OTB3-200002", "v3");
        Credentials device = harness.pki.device("OTB3-200002");
        try (TestAgent agent = harness.agent(device, "OTB3-200002", true).connect(harness.agentPort())) {
            agent.await(Welcome.class, WAIT);
            agent.dropConnection();
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
            long resumed = metric("otb_tls_resumed_total");
            long refused = metric("otb_connections_refused_total{reason=\"certificate\"}");

            // the certificate alone is revoked (a leaked key, the box re-keyed): the device row stays active
            harness.server.context().revocations().revoke(device.leaf(), Instant.now(), "key leaked");
            agent.connect(harness.agentPort());
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
            assertThat(harness.server.gateway().registry().isConnected("OTB3-200002")).isFalse();
            assertThat(metric("otb_tls_resumed_total")).as("TLS resumed: the trust manager was not asked")
                    .isEqualTo(resumed + 1);
            assertThat(metric("otb_connections_refused_total{reason=\"certificate\"}")).isEqualTo(refused + 1);
        }
    }
}
