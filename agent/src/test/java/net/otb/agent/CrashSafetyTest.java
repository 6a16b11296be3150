package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.DirectoryStateStore;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/architecture.md#the-store-and-its-invariants (invariant 4): the agent runs as a child JVM (the real {@code AgentMain} with a config file) and is killed with
 * SIGKILL at random instants while profiles are being pushed, applied and confirmed. After each kill the state
 * file must be a complete profile, never older than what the server was told, and the restarted agent must put
 * exactly that profile back into its backend before it says hello.
 */
class CrashSafetyTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final int CYCLES = 5;

    @TempDir
    Path dir;

    final List<Process> children = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        children.forEach(Process::destroyForcibly);
    }

    /** Every field depends on the generation, so a mix of two profiles cannot pass for one. */
    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-crash", generation % 2 == 0 ? "business.v1" : "starter.v1",
                100_000 + generation * 1_000, 50_000 + generation * 500, "203.0.113." + (generation % 250 + 1));
    }

    @Test
    void aKilledAgentRestartsFromACompleteOldOrNewStateAndReappliesIt() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        TestPki pki = new TestPki();
        Path config = writeConfig(pki);
        Path state = dir.resolve("state").resolve(DirectoryStateStore.FILE_NAME);
        Path backendLog = dir.resolve("backend.log");
        long generation = 1;
        long lastAcknowledged = 0;
        try (TestServer server = TestServer.start(pki)) {
            writePort(config, server.port());
            for (int cycle = 0; cycle < CYCLES; cycle++) {
                AgentState before = Files.exists(state)
                        ? DirectoryStateStore.parse(Files.readAllBytes(state), state) : AgentState.EMPTY;
                Process child = launch(config, cycle);
                TestServer.Connection connection = server.nextConnection(WAIT);
                Hello hello = connection.awaitHello(WAIT);

                // the saved profile is back in force before hello, and hello reports it
                assertThat(hello.applied()).as("seed %d cycle %d", seed, cycle).isEqualTo(before.applied());
                List<String> sinceStart = linesSinceLastStart(backendLog);
                if (before.applied() == null) {
                    assertThat(sinceStart).as("seed %d cycle %d", seed, cycle).isEmpty();
                } else {
                    BandwidthProfile saved = before.applied();
                    assertThat(sinceStart).as("seed %d cycle %d", seed, cycle)
                            .first().isEqualTo("apply " + saved.generation() + " " + saved.downKbps() + " "
                                    + saved.upKbps());
                }

                int pushes = 2 + random.nextInt(8);
                for (int i = 0; i < pushes; i++) {
                    connection.send(ProfilePush.of(profile(generation), 60));
                    Applied applied = connection.expect(Applied.class, WAIT);
                    assertThat(applied).isEqualTo(new Applied(generation, Applied.Status.APPLIED, null));
                    lastAcknowledged = generation;
                    if (random.nextBoolean()) {
                        connection.send(new Confirm(generation));
                    }
                    generation++;
                }
                // the kill lands while the agent applies and saves the next push
                connection.send(ProfilePush.of(profile(generation), 60));
                generation++;
                spin(random.nextInt(3_000));
                child.destroyForcibly();
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();

                AgentState after = DirectoryStateStore.parse(Files.readAllBytes(state), state);
                assertThat(after.applied()).as("seed %d cycle %d: a complete profile", seed, cycle)
                        .isEqualTo(profile(after.applied().generation()));
                assertThat(after.applied().generation()).as("seed %d cycle %d: never older than acknowledged",
                        seed, cycle).isGreaterThanOrEqualTo(lastAcknowledged);
                connection.closed().get(10, TimeUnit.SECONDS);
            }
        }
    }

    private Path writeConfig(TestPki pki) throws Exception {
        Credentials device = pki.device("OTB3-CRASH1");
        Files.writeString(dir.resolve("agent.key"), Pem.write(device.key()));
        Files.writeString(dir.resolve("agent.crt"), Pem.writeChain(device.chain()));
        Files.writeString(dir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        return dir.resolve("agent.properties");
    }

    private void writePort(Path config, int port) throws Exception {
        Files.writeString(config, String.join("\n",
                "servers=127.0.0.1:" + port,
                "tls.key=agent.key",
                "tls.certificate=agent.crt",
                "tls.ca=ca.crt",
                "state.dir=state",
                "backend=recording",
                "backend.log=" + dir.resolve("backend.log"),
                "backoff.initial.millis=20",
                "backoff.max.seconds=1",
                "renewal.window.days=1",
                ""));
    }

    private Process launch(Path config, int cycle) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(), "--config", config.toString());
        builder.redirectErrorStream(true);
        builder.redirectOutput(dir.resolve("child-" + cycle + ".log").toFile());
        Process process = builder.start();
        children.add(process);
        return process;
    }

    private static List<String> linesSinceLastStart(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log);
        int start = lines.lastIndexOf("start");
        assertThat(start).as("the backend was made").isGreaterThanOrEqualTo(0);
        return lines.subList(start + 1, lines.size());
    }

    /** Busy-waits a few microseconds: a random kill instant, finer than any scheduler sleep. */
    private static void spin(int micros) {
        long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }
}
