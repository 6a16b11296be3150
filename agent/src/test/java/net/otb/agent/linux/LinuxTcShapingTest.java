package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend on a real kernel: two network namespaces joined by a veth pair, the backend shaping the box side,
 * iperf3 measuring. Needs root, iproute2, the ifb and sch_htb modules and iperf3; skipped otherwise (a failure
 * under CI=true).
 */
class LinuxTcShapingTest {

    private static final RandomGenerator RANDOM = RandomGenerator.getDefault();
    /** Measured seconds per direction (plus one left out for slow start): ±10 % needs no more at these rates. */
    private static final int SECONDS = 3;

    private NetnsLab lab;
    private LinuxTcBackend backend;

    @BeforeAll
    static void machineCanShape() throws IOException {
        NetnsLab.requireSupport(RANDOM);
        NetnsLab.removeLeftovers();
    }

    @BeforeEach
    void lab() throws IOException {
        lab = NetnsLab.create(RANDOM);
    }

    @AfterEach
    void tearDown() {
        try {
            if (backend != null) {
                backend.close();
            }
        } finally {
            lab.close();
        }
    }

    private static BandwidthProfile profile(long generation, long downKbps, long upKbps) {
        return new BandwidthProfile(generation, "otb-lab-1", "starter.v1", downKbps, upKbps, "203.0.113.7");
    }

    private static void await(CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private void assertShapedTo(long downKbps, long upKbps) throws IOException {
        double down = lab.measureMbps(true, SECONDS);
        double up = lab.measureMbps(false, SECONDS);
        assertThat(down).as("download Mbit/s").isCloseTo(downKbps / 1000.0, within(downKbps / 1000.0 * 0.10));
        assertThat(up).as("upload Mbit/s").isCloseTo(upKbps / 1000.0, within(upKbps / 1000.0 * 0.10));
    }

    @Test
    void throughputFollowsTheProfileAndComesBackWhenCleared() throws Exception {
        backend = LinuxTcBackend.open(LinuxTcSettings.forInterface(NetnsLab.BOX_IF).inNamespace(lab.box()),
                lab.boxRunner());
        lab.startIperfServer();

        await(backend.apply(profile(1, 20_000, 10_000)));
        DeviceDescription first = backend.describe();
        assertThat(first.downKbps()).isEqualTo(20_000);
        assertThat(first.upKbps()).isEqualTo(10_000);
        assertThat(first.details()).containsEntry("shaping", "shaped").containsKey("leaf");
        assertShapedTo(20_000, 10_000);

        await(backend.apply(profile(2, 40_000, 20_000)));
        assertThat(backend.describe().downKbps()).isEqualTo(40_000);
        assertShapedTo(40_000, 20_000);

        await(backend.clear());
        assertThat(backend.describe().details()).containsEntry("shaping", "unshaped");
        assertThat(lab.boxRunner().run(List.of("ip", "link", "show", "dev", "ifb4wan0")).succeeded()).isFalse();
        assertThat(lab.measureMbps(true, 2)).as("unshaped download Mbit/s").isGreaterThan(100);
        assertThat(lab.measureMbps(false, 2)).as("unshaped upload Mbit/s").isGreaterThan(100);
    }

    @Test
    void aFailureOnTheRealKernelLeavesNothingHalfApplied() throws Exception {
        ProcessCommandRunner real = lab.boxRunner();
        FaultyRunner faulty = new FaultyRunner(real);
        backend = LinuxTcBackend.open(LinuxTcSettings.forInterface(NetnsLab.BOX_IF).inNamespace(lab.box()), faulty);

        faulty.failCommandsStartingWith("tc qdisc add dev wan0 handle ffff: ingress");
        BackendException first = failure(backend.apply(profile(1, 20_000, 10_000)));
        assertThat(first.getMessage()).contains("Operation not permitted", "previous shaping restored (unshaped)");
        TcState afterFirst = new TcReader(real, new TcCommands(NetnsLab.BOX_IF, "ifb4wan0")).read();
        assertThat(afterFirst.empty()).as("kernel state %s", afterFirst).isTrue();

        faulty.failCommandsStartingWith(null);
        await(backend.apply(profile(2, 20_000, 10_000)));
        faulty.failCommandsStartingWith("tc class change dev wan0");
        BackendException change = failure(backend.apply(profile(3, 40_000, 20_000)));
        assertThat(change.getMessage()).contains("previous shaping restored (shaped)");
        TcState afterChange = new TcReader(real, new TcCommands(NetnsLab.BOX_IF, "ifb4wan0")).read();
        assertThat(afterChange.downKbps("ifb4wan0")).isEqualTo(20_000);
        assertThat(afterChange.upKbps("ifb4wan0")).isEqualTo(10_000);
    }

    private static BackendException failure(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(BackendException.class);
            return (BackendException) e.getCause();
        }
        throw new AssertionError("the operation succeeded");
    }

    /** The real kernel, except that chosen commands are refused as an unprivileged user would see them. */
    private static final class FaultyRunner implements CommandRunner {

        private final CommandRunner real;
        private volatile String refused;

        FaultyRunner(CommandRunner real) {
            this.real = real;
        }

        void failCommandsStartingWith(String prefix) {
            refused = prefix;
        }

        @Override
        public CommandResult run(List<String> argv) throws IOException {
            String prefix = refused;
            if (prefix != null && String.join(" ", argv).startsWith(prefix)) {
                return CommandResult.failed(argv, 2, "RTNETLINK answers: Operation not permitted\n");
            }
            return real.run(argv);
        }
    }
}
