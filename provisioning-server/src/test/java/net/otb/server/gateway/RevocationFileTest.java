package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.RevocationList;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One revocation list for the PKI tool and the API: a certificate the tool revokes in the file while the server runs
 * ends its box's session and is refused within seconds, and a revocation through the API afterwards keeps the tool's
 * entry in the file (it used to rewrite the file from the server's memory and erase it).
 */
class RevocationFileTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aRevocationWrittenByAnotherProcessIsEffectiveAtOnceAndNeverErased(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            harness.registerBox("OTB3-RVK1", "v3");
            harness.registerBox("OTB3-RVK2", "v3");
            Credentials first = harness.pki.device("OTB3-RVK1");
            Path file = dir.resolve("pki").resolve("revoked.json");
            try (TestAgent box = harness.agent(first, "OTB3-RVK1", true).connect(harness.agentPort())) {
                box.await(Welcome.class, WAIT);

                // the PKI tool's revoke: another process loads the file, adds the serial, saves it
                RevocationList.load(file).revoke(first.leaf(), Instant.now(), "stolen (PKI tool)");

                ErrorMessage error = box.await(ErrorMessage.class, WAIT);
                assertThat(error.code()).isEqualTo("forbidden");
                assertThat(error.detail()).contains("revoked");
                assertThat(box.closeFuture()).succeedsWithin(WAIT);
            }
            try (TestAgent again = harness.agent(first, "OTB3-RVK1", true).connect(harness.agentPort())) {
                assertThat(again.closeFuture()).as("refused at the handshake").succeedsWithin(WAIT);
            }

            try (TestAgent second = harness.agent("OTB3-RVK2", true).connect(harness.agentPort())) {
                second.await(Welcome.class, WAIT);
            }
            assertThat(harness.http.post("/1.0/admin/devices/OTB3-RVK2/revoke", "{\"reason\":\"lost\"}").status())
                    .isLessThan(300);
            RevocationList onDisk = RevocationList.load(file);
            assertThat(onDisk.isRevoked(first.leaf())).as("the tool's entry is kept").isTrue();
            assertThat(onDisk.entries()).hasSize(2);
        }
    }
}
