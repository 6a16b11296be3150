package net.otb.simulator.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import net.otb.agent.state.AgentState;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.hardware.AppliedHistory;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.EmbeddedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The campaign's lost decommission (docs/reliability.md, "What it found"; seeds 242678309102185956 and
 * 4597363874039031310), made deterministic: the real agent program in a JVM of its own, over mutual TLS, is paused
 * (SIGSTOP) so that the server's {@code decommission} is written to its link (the kernel takes it) but never read;
 * the server records it delivered; the agent is SIGKILLed, so nothing of it was saved, and started again on its
 * folder. It must end decommissioned: told again at its hello, shaping cleared, the fact saved, the process gone.
 */
class LostDecommissionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path work;

    @Test
    void aBoxKilledRightAfterItsDecommissionWasWrittenEndsDecommissionedAfterItsRestart() throws Exception {
        // heartbeat 10 s: the paused agent's session outlives the steps below (3 missed heartbeats close it)
        try (EmbeddedServer server = EmbeddedServer.start(work.resolve("server"), TlsProvider.AUTO, Clock.systemUTC(),
                new EmbeddedServer.Timings(10, 5, 2, 1))) {
            ServerApi api = new ServerApi(server.apiAccess(), Duration.ofSeconds(15));
            String old = FleetConfig.serial(BoxModel.V3, 1);
            String replacement = FleetConfig.serial(BoxModel.V3, 2);
            ChildAgent agent = new ChildAgent(old, BoxModel.V3, server.issuer().issue(old, new SecureRandom()),
                    server.anchors().get(0), server.agentAddress().port(), work.resolve("agents").resolve(old));
            Path stateFile = agent.stateDirectory().resolve("state.json");
            for (String serial : new String[] {old, replacement}) {
                api.post("/1.0/admin/devices", ServerApi.body("serial", serial, "model", "v3"));
            }
            api.post("/1.0/admin/services", ServerApi.body("serviceName", "otb-decom", "account", "a",
                    "offer", "starter.v1", "serviceIp", "203.0.113.40", "deviceId", old));
            try {
                agent.start();
                await("generation 1 applied and confirmed by " + old).atMost(DEADLINE)
                        .until(() -> confirmed(stateFile, 1));

                signal("STOP", agent.pid());
                await("the agent stopped (state T)").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(5)).until(() -> stopped(agent.pid()));
                api.post("/1.0/admin/services/otb-decom/device", ServerApi.body("deviceId", replacement));
                // the server wrote decommission to the paused agent's socket and took that for its delivery
                await("the server records " + old + " decommissioned").atMost(DEADLINE).until(() ->
                        "decommissioned".equals(api.get("/1.0/admin/devices/" + old).path("state").asText()));
                agent.kill();
                AgentState killed = AppliedHistory.readState(stateFile);
                assertThat(killed.decommissioned()).as("the killed agent never read it").isNull();
                assertThat(killed.applied().generation()).isEqualTo(1);

                agent.start();
                await("the restarted agent is told again, clears its shaping and stops").atMost(DEADLINE)
                        .until(() -> !agent.running());
                AgentState after = AppliedHistory.readState(stateFile);
                assertThat(after.decommissioned()).as(log(agent)).contains(replacement);
                assertThat(after.applied()).isNull();
                assertThat(after.pending()).isNull();
                assertThat(log(agent)).doesNotContain("forbidden");
                assertThat(api.get("/1.0/admin/devices/" + old).path("state").asText()).isEqualTo("decommissioned");
            } finally {
                agent.kill();
            }
        }
    }

    private static boolean confirmed(Path stateFile, long generation) {
        try {
            AgentState state = AppliedHistory.readState(stateFile);
            return state.applied() != null && state.applied().generation() == generation && state.pending() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean stopped(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %d", name, pid).isZero();
    }

    private static String log(ChildAgent agent) throws IOException {
        Path file = agent.stateDirectory().getParent().resolve("agent.log");
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
