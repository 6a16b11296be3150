package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LinuxTcBackendTest {

    private static final String WAN = "wan0";
    private static final String IFB = "ifb4wan0";

    private final FakeKernel kernel = new FakeKernel(WAN);
    private LinuxTcBackend backend;

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private static BandwidthProfile profile(long generation, long downKbps, long upKbps) {
        return new BandwidthProfile(generation, "otb-test-1", "starter.v1", downKbps, upKbps, "203.0.113.7");
    }

    private LinuxTcBackend open() throws BackendException {
        backend = LinuxTcBackend.open(LinuxTcSettings.forInterface(WAN), kernel);
        return backend;
    }

    private static void await(CompletionStage<?> stage) throws Exception {
        stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static BackendException failure(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(BackendException.class);
            return (BackendException) e.getCause();
        }
        throw new AssertionError("the operation succeeded");
    }

    private static String cls(String verb, String dev, String rate, long burst, long quantum) {
        return "tc class " + verb + " dev " + dev + " parent 1: classid 1:10 htb rate " + rate + " ceil " + rate
                + " burst " + burst + " cburst " + burst + " quantum " + quantum;
    }

    private static final List<String> FIRST_APPLY_20_10 = List.of(
            "ip link add name ifb4wan0 type ifb",
            "ip link set dev ifb4wan0 up",
            "tc qdisc add dev ifb4wan0 root handle 1: htb default 10",
            cls("add", IFB, "20000kbit", 3200, 3200),
            "tc qdisc add dev ifb4wan0 parent 1:10 handle 10: fq_codel",
            "tc qdisc add dev wan0 root handle 1: htb default 10",
            cls("add", WAN, "10000kbit", 3200, 3200),
            "tc qdisc add dev wan0 parent 1:10 handle 10: fq_codel",
            "tc qdisc add dev wan0 handle ffff: ingress",
            "tc filter add dev wan0 parent ffff: protocol all prio 10 u32 match u32 0 0 "
                    + "action mirred egress redirect dev ifb4wan0");

    @Test
    void firstApplyShapesTheIfbBeforeRedirectingToItAndReadsTheResultBack() throws Exception {
        open();
        assertThat(backend.describe().downKbps()).isZero();

        await(backend.apply(profile(1, 20_000, 10_000)));

        assertThat(kernel.changes()).containsExactlyElementsOf(FIRST_APPLY_20_10);
        assertThat(kernel.classKbps(IFB)).isEqualTo(20_000);
        assertThat(kernel.classKbps(WAN)).isEqualTo(10_000);
        DeviceDescription description = backend.describe();
        assertThat(description.downKbps()).isEqualTo(20_000);
        assertThat(description.upKbps()).isEqualTo(10_000);
        assertThat(description.details()).containsEntry("shaping", "shaped").containsEntry("leaf", "fq_codel")
                .containsEntry("interface", WAN).containsEntry("ifb", IFB);
        assertThat(description.capabilities()).contains("shaping.htb", "shaping.ifb");
        assertThat(description.shapes(profile(1, 20_000, 10_000))).isTrue();
    }

    @Test
    void aNewProfileChangesBothClassRatesInPlace() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.forgetCommands();

        await(backend.apply(profile(2, 1_000_000, 500_000)));

        assertThat(kernel.changes()).containsExactly(
                cls("change", IFB, "1000000kbit", 125_000, 125_000),
                cls("change", WAN, "500000kbit", 62_500, 62_500));
        assertThat(backend.describe().downKbps()).isEqualTo(1_000_000);
        assertThat(backend.describe().upKbps()).isEqualTo(500_000);
    }

    @Test
    void aProfileThatChangesOnlyTheDownloadTouchesOnlyTheIfb() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.forgetCommands();

        await(backend.apply(profile(2, 40_000, 10_000)));

        assertThat(kernel.changes()).containsExactly(cls("change", IFB, "40000kbit", 5_000, 5_000));
    }

    @Test
    void reApplyingTheShapingInForceRunsNoCommandAtAll() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.forgetCommands();

        await(backend.apply(profile(2, 20_000, 10_000)));

        assertThat(kernel.commands()).isEmpty();
    }

    @Test
    void clearRemovesTheRedirectThenTheRootThenTheIfb() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.forgetCommands();

        await(backend.clear());

        assertThat(kernel.changes()).containsExactly(
                "tc qdisc del dev wan0 ingress",
                "tc qdisc del dev wan0 root",
                "ip link del dev ifb4wan0");
        assertThat(kernel.hasLink(IFB)).isFalse();
        assertThat(kernel.rootHtb(WAN)).isFalse();
        assertThat(kernel.ingress(WAN)).isFalse();
        assertThat(backend.describe().downKbps()).isZero();
        assertThat(backend.describe().details()).containsEntry("shaping", "unshaped");
    }

    @Test
    void clearingAnUnshapedInterfaceChangesNothing() throws Exception {
        open();
        await(backend.clear());
        assertThat(kernel.changes()).isEmpty();
    }

    @Test
    void aFailureMidwayThroughTheFirstApplyRemovesWhatItCreated() throws Exception {
        kernel.failWhen("tc class add dev wan0", "RTNETLINK answers: Operation not permitted");
        open();

        BackendException e = failure(backend.apply(profile(1, 20_000, 10_000)));

        assertThat(e.getMessage()).contains("'tc class add dev wan0", "RTNETLINK answers: Operation not permitted",
                "previous shaping restored (unshaped)");
        assertThat(kernel.changes()).containsExactly(
                FIRST_APPLY_20_10.get(0), FIRST_APPLY_20_10.get(1), FIRST_APPLY_20_10.get(2),
                FIRST_APPLY_20_10.get(3), FIRST_APPLY_20_10.get(4), FIRST_APPLY_20_10.get(5),
                FIRST_APPLY_20_10.get(6),
                "tc qdisc del dev wan0 root",
                "ip link del dev ifb4wan0");
        assertThat(kernel.hasLink(IFB)).isFalse();
        assertThat(kernel.rootHtb(WAN)).isFalse();
        assertThat(backend.describe().details()).containsEntry("shaping", "unshaped");
    }

    @Test
    void aFailedChangePutsTheRatesAlreadyChangedBack() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.forgetCommands();
        kernel.failWhen("tc class change dev wan0", "Error: Specified class not found.");

        BackendException e = failure(backend.apply(profile(2, 40_000, 20_000)));

        assertThat(e.getMessage()).contains("Specified class not found", "previous shaping restored (shaped)");
        assertThat(kernel.changes()).containsExactly(
                cls("change", IFB, "40000kbit", 5_000, 5_000),
                cls("change", WAN, "20000kbit", 3_200, 3_200),
                cls("change", IFB, "20000kbit", 3_200, 3_200));
        assertThat(kernel.classKbps(IFB)).isEqualTo(20_000);
        assertThat(kernel.classKbps(WAN)).isEqualTo(10_000);
        assertThat(backend.describe().downKbps()).isEqualTo(20_000);
        assertThat(backend.describe().upKbps()).isEqualTo(10_000);
    }

    @Test
    void aCommandThatHangsFailsTheApplyAndWhatItMayHaveDoneIsUndone() throws Exception {
        kernel.hangWhen("tc qdisc add dev wan0 handle ffff: ingress");
        open();

        BackendException e = failure(backend.apply(profile(1, 20_000, 10_000)));

        assertThat(e.getMessage()).contains("did not finish within 500 ms and was killed",
                "previous shaping restored (unshaped)");
        assertThat(kernel.changes()).endsWith(
                "tc qdisc add dev wan0 handle ffff: ingress",
                "tc qdisc del dev wan0 ingress",
                "tc qdisc del dev wan0 root",
                "ip link del dev ifb4wan0");
        assertThat(kernel.hasLink(IFB)).isFalse();
    }

    @Test
    void aKernelWithoutFqCodelGetsThePfifoLeafAndIsNotAskedAgain() throws Exception {
        kernel.leafKinds("pfifo");
        open();

        await(backend.apply(profile(1, 20_000, 10_000)));

        assertThat(kernel.changes()).contains(
                "tc qdisc add dev ifb4wan0 parent 1:10 handle 10: fq_codel",
                "tc qdisc add dev ifb4wan0 parent 1:10 handle 10: pfifo limit 1000");
        assertThat(backend.describe().details()).containsEntry("leaf", "pfifo");
        await(backend.clear());
        kernel.forgetCommands();

        await(backend.apply(profile(2, 20_000, 10_000)));

        assertThat(kernel.changes()).noneMatch(command -> command.contains("fq_codel"));
    }

    @Test
    void shapingLeftByAPreviousRunIsAdoptedAndChangedInPlace() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        backend.close();
        kernel.forgetCommands();

        backend = LinuxTcBackend.open(LinuxTcSettings.forInterface(WAN), kernel);

        assertThat(backend.describe().downKbps()).isEqualTo(20_000);
        await(backend.apply(profile(2, 40_000, 20_000)));
        assertThat(kernel.changes()).containsExactly(
                cls("change", IFB, "40000kbit", 5_000, 5_000),
                cls("change", WAN, "20000kbit", 3_200, 3_200));
    }

    @Test
    void partialShapingIsRemovedBeforeBuilding() throws Exception {
        open();
        await(backend.apply(profile(1, 20_000, 10_000)));
        kernel.run(List.of("tc", "qdisc", "del", "dev", WAN, "ingress"));
        await(backend.refresh());
        assertThat(backend.describe().details()).containsEntry("shaping", "partial");
        kernel.forgetCommands();

        await(backend.apply(profile(2, 40_000, 20_000)));

        assertThat(kernel.changes()).startsWith("tc qdisc del dev wan0 root", "ip link del dev ifb4wan0",
                "ip link add name ifb4wan0 type ifb");
        assertThat(backend.describe().upKbps()).isEqualTo(20_000);
    }

    @Test
    void newerIproute2JsonClassesAreReadToo() throws Exception {
        kernel.jsonClasses();
        open();
        await(backend.apply(profile(1, 2_000_000, 1_000_000)));
        assertThat(backend.describe().downKbps()).isEqualTo(2_000_000);
        assertThat(backend.describe().upKbps()).isEqualTo(1_000_000);
    }

    @Test
    void commandsRunOnTheBackendsOwnThread() throws Exception {
        open();
        kernel.forgetCommands();
        await(backend.apply(profile(1, 20_000, 10_000)));
        assertThat(kernel.threads()).isNotEmpty().allMatch(name -> name.startsWith("otb-linux-tc-wan0"));
    }

    @Test
    void aMissingInterfaceIsRefusedAtOpenNamingTheOption() {
        assertThatThrownBy(() -> LinuxTcBackend.open(LinuxTcSettings.forInterface("eth9"), kernel))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backend.interface: no such interface eth9");
    }

    @Test
    void anInterfaceThatVanishedFailsTheApply() throws Exception {
        open();
        kernel.run(List.of("ip", "link", "del", "dev", WAN));

        assertThat(failure(backend.apply(profile(1, 20_000, 10_000))).getMessage())
                .isEqualTo("interface wan0 not found");
        assertThat(kernel.changes()).doesNotContain(FIRST_APPLY_20_10.get(0));
    }

    @Test
    void aMissingToolFailsOpenWithTheSystemsWords() {
        CommandRunner noIp = argv -> {
            throw new IOException("Cannot run program \"ip\": error=2, No such file or directory");
        };
        assertThatThrownBy(() -> LinuxTcBackend.open(LinuxTcSettings.forInterface(WAN), noIp))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("cannot run ip")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void aDeviceNamedLikeTheIfbThatIsNotOneIsLeftAlone() throws Exception {
        FakeKernel taken = new FakeKernel(WAN, IFB);
        assertThatThrownBy(() -> LinuxTcBackend.open(LinuxTcSettings.forInterface(WAN), taken))
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("ifb4wan0 exists and is not an IFB device (veth)");
    }

    @Test
    void operationsAfterCloseFail() throws Exception {
        open();
        backend.close();
        assertThat(failure(backend.apply(profile(1, 20_000, 10_000))).getMessage()).contains("closed");
    }

    @Test
    void theFactoryIsFoundByNameAndCheckItsOptions() {
        LinuxTcBackendFactory factory = new LinuxTcBackendFactory();
        assertThat(factory.name()).isEqualTo("linux-tc");
        assertThatThrownBy(() -> factory.create(Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("backend.interface:");
        assertThatThrownBy(() -> factory.create(Map.of("interface", "eth0", "timeout-ms", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("backend.timeout-ms:");
    }

    @Test
    void settingsDefaults() {
        LinuxTcSettings settings = LinuxTcSettings.forInterface("pppoe-wan-long0");
        assertThat(settings.ifbName()).isEqualTo("ifb4pppoe-wan-l").hasSize(15);
        assertThat(settings.leaves()).containsExactly(LeafQdisc.FQ_CODEL, LeafQdisc.PFIFO);
        assertThat(settings.commandTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.commandPrefix()).isEmpty();
        assertThat(settings.inNamespace("otb-box-1").commandPrefix()).containsExactly("ip", "netns", "exec",
                "otb-box-1");
        assertThatThrownBy(() -> LinuxTcSettings.fromOptions(Map.of("interface", "eth0; reboot")))
                .hasMessageStartingWith("backend.interface:");
        assertThatThrownBy(() -> LinuxTcSettings.fromOptions(Map.of("interface", "eth0", "leaf", "cake")))
                .hasMessageStartingWith("backend.leaf:");
        assertThatThrownBy(() -> LinuxTcSettings.fromOptions(Map.of("interface", "eth0", "wan", "eth1")))
                .hasMessageStartingWith("backend.wan: unknown option");
    }
}
