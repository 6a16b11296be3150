package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.otb.agent.testing.TestServer;
import net.otb.agent.testing.WithoutDatabind;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon, as a box runs it (config file, state directory, JDK TLS), in a class loader without Jackson
 * databind, its annotations or picocli: a session over real mutual TLS applies, confirms and ends with a
 * decommission. A reference to any of them on the daemon's path (the codec, the state file, the TLS set-up, the
 * command line) fails here with NoClassDefFoundError; the memory budget depends on it (docs/benchmarks.md).
 */
class DaemonWithoutDatabindTest {

    static final String CONFIG_PROPERTY = "otb.test.daemon.config";

    @TempDir
    Path dir;

    /** Runs {@code otb-agent --config FILE} in the isolated loader; returns the exit code and what it printed. */
    static final class Daemon implements Callable<String> {
        @Override
        public String call() {
            StringWriter out = new StringWriter();
            int code = AgentMain.run(new String[] {"--config", System.getProperty(CONFIG_PROPERTY)},
                    new PrintWriter(out, true), new PrintWriter(out, true));
            return code + " " + out;
        }
    }

    @Test
    void aWholeSessionRunsWithoutDatabindOrPicocli() throws Exception {
        assertThat(WithoutDatabind.hides("com.fasterxml.jackson.databind.ObjectMapper")).isTrue();
        assertThat(WithoutDatabind.hides("picocli.CommandLine")).isTrue();
        TestPki pki = new TestPki();
        Credentials device = pki.device("OTB3-NODATABIND");
        Files.writeString(dir.resolve("agent.key"), Pem.write(device.key()));
        Files.writeString(dir.resolve("agent.crt"), Pem.writeChain(device.chain()));
        Files.writeString(dir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        try (TestServer server = TestServer.start(pki)) {
            Path config = dir.resolve("agent.properties");
            Files.writeString(config, String.join("\n", "servers=127.0.0.1:" + server.port(), "tls.key=agent.key",
                    "tls.certificate=agent.crt", "tls.ca=ca.crt", "state.dir=state", "backend=memory",
                    "renewal.window.days=1", ""));
            System.setProperty(CONFIG_PROPERTY, config.toString());
            CompletableFuture<String> daemon = CompletableFuture.supplyAsync(() -> {
                try {
                    return WithoutDatabind.call(Daemon.class);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                TestServer.Connection connection = server.nextConnection(Duration.ofSeconds(30));
                Hello hello = connection.awaitHello(Duration.ofSeconds(30));
                assertThat(hello.deviceId()).isEqualTo("OTB3-NODATABIND");
                connection.send(ProfilePush.of(new BandwidthProfile(1, "otb-svc-nodatabind", "business.v1", 1_000_000,
                        1_000_000, "2001:db8::42"), 60));
                Applied applied = connection.expect(Applied.class, Duration.ofSeconds(30));
                assertThat(applied.status()).isEqualTo(Applied.Status.APPLIED);
                connection.send(new Confirm(1));
                connection.send(new Decommission("test over"));

                String outcome = daemon.get(30, TimeUnit.SECONDS);
                assertThat(outcome).startsWith("0 ");
            } finally {
                System.clearProperty(CONFIG_PROPERTY);
            }
        }
        // the daemon saved its state with jackson-core alone: the decommission is on disk
        assertThat(Files.readString(dir.resolve("state").resolve("state.json"))).contains("test over");
    }
}
