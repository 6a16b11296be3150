package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.otb.agent.backend.BackendException;
import org.junit.jupiter.api.Test;

class TcReaderTest {

    private final TcReader reader = new TcReader(new FakeKernel("wan0"), new TcCommands("wan0", "ifb4wan0"));

    private static CommandResult out(String stdout) {
        return CommandResult.ok(List.of("tc", "-j", "class", "show", "dev", "wan0"), stdout);
    }

    @Test
    void iproute2SixOneTextClassesAreRead() throws Exception {
        // verbatim from iproute2 6.1, which ignores -j for class show
        String text = "class htb 1:10 parent 1:1 leaf 10: prio 0 rate 20Mbit ceil 20Mbit burst 1600b cburst 1600b \n"
                + "class htb 1:1 root rate 20Mbit ceil 20Mbit burst 25000b cburst 3000b \n";
        assertThat(reader.parseClassRates(out(text))).containsExactly(20_000, 20_000);
    }

    @Test
    void jsonClassesCarryBytesPerSecond() throws Exception {
        String json = "[{\"class\":\"htb\",\"handle\":\"1:10\",\"root\":true,\"leaf\":\"10:\",\"prio\":0,"
                + "\"rate\":2562500,\"ceil\":5000000,\"burst\":3200,\"cburst\":3200}]";
        assertThat(reader.parseClassRates(out(json))).containsExactly(20_500, 40_000);
    }

    @Test
    void noClassMeansNoRate() throws Exception {
        assertThat(reader.parseClassRates(out(""))).containsExactly(0, 0);
        assertThat(reader.parseClassRates(out("[]"))).containsExactly(0, 0);
        assertThat(reader.parseClassRates(out("class htb 1:20 root rate 1Mbit ceil 1Mbit"))).containsExactly(0, 0);
    }

    @Test
    void printedRatesOfEveryPrefixAreRead() throws Exception {
        assertThat(TcReader.kbpsOf("20Mbit")).isEqualTo(20_000);
        assertThat(TcReader.kbpsOf("20500Kbit")).isEqualTo(20_500);
        assertThat(TcReader.kbpsOf("2Gbit")).isEqualTo(2_000_000);
        assertThat(TcReader.kbpsOf("8000bit")).isEqualTo(8);
        assertThat(TcReader.kbpsOf("1Mibit")).isEqualTo(1_049);
        assertThat(FakeKernel.tcRate(20_500_000)).isEqualTo("20500Kbit");
    }

    @Test
    void unreadableOutputIsAFailureNamingTheCommand() {
        assertThatThrownBy(() -> TcReader.kbpsOf("fast")).isInstanceOf(BackendException.class)
                .hasMessageContaining("'fast'");
        assertThatThrownBy(() -> reader.parseClassRates(out("[{\"class\":")))
                .isInstanceOf(BackendException.class).hasMessageContaining("'tc -j class show dev wan0'");
    }

    @Test
    void theRedirectTargetComesFromTheMirredAction() throws Exception {
        FakeKernel kernel = new FakeKernel("wan0");
        kernel.run(List.of("ip", "link", "add", "name", "ifb4wan0", "type", "ifb"));
        kernel.run(List.of("tc", "qdisc", "add", "dev", "wan0", "handle", "ffff:", "ingress"));
        kernel.run(new TcCommands("wan0", "ifb4wan0").addRedirect());
        TcState state = new TcReader(kernel, new TcCommands("wan0", "ifb4wan0")).read();
        assertThat(state.ingress()).isTrue();
        assertThat(state.redirectTo()).isEqualTo("ifb4wan0");
        assertThat(state.ifbPresent()).isTrue();
        assertThat(state.summary("ifb4wan0")).isEqualTo("partial");
    }

    /**
     * What iproute2 6.1 printed for the whole layout (pfifo leaves, as this test machine's kernel has no fq_codel),
     * captured in a namespace: one resource per command, named after its words.
     */
    private static CommandRunner iproute2SixOne() {
        return argv -> {
            String name = "iproute2-6.1/" + String.join(" ", argv).replace(" -", " ").replace(' ', '-')
                    + (argv.contains("class") ? ".txt" : ".json");
            try (InputStream in = TcReaderTest.class.getResourceAsStream(name)) {
                if (in == null) {
                    return CommandResult.failed(argv, 255, "no capture " + name);
                }
                return CommandResult.ok(argv, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        };
    }

    @Test
    void theWholeLayoutAsIproute2SixOnePrintsItIsRead() throws Exception {
        TcState state = new TcReader(iproute2SixOne(), new TcCommands("wan0", "ifb4wan0")).read();
        assertThat(state).isEqualTo(new TcState(true, new TcState.Htb(20_500, 20_500, "pfifo"), true, "ifb4wan0", true,
                new TcState.Htb(20_500, 20_500, "pfifo")));
        assertThat(state.summary("ifb4wan0")).isEqualTo("shaped");
    }

    @Test
    void anotherInterfaceOfTheSameHostIsMissing() throws Exception {
        TcState state = new TcReader(iproute2SixOne(), new TcCommands("wan1", "ifb4wan1")).read();
        assertThat(state).isEqualTo(new TcState(false, null, false, null, false, null));
    }

    @Test
    void anIfbNameTakenByAnotherKindOfDeviceIsRefused() {
        assertThatThrownBy(() -> new TcReader(iproute2SixOne(), new TcCommands("wan0", "peer0")).read())
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("peer0 exists and is not an IFB device (veth)");
        assertThatThrownBy(() -> new TcReader(iproute2SixOne(), new TcCommands("wan0", "lo")).read())
                .isInstanceOf(BackendException.class)
                .hasMessageContaining("lo exists and is not an IFB device (no kind)");
    }

    @Test
    void jsonThatIsNotAListIsAFailureNamingTheCommand() {
        CommandRunner runner = argv -> CommandResult.ok(argv, "{\"ifname\":\"wan0\"}\n");
        assertThatThrownBy(() -> new TcReader(runner, new TcCommands("wan0", "ifb4wan0")).read())
                .isInstanceOf(BackendException.class)
                .hasMessage("expected a JSON array from 'ip -d -j link show'");
    }

    @Test
    void aFailedListingIsAFailureWithTheToolsWords() {
        CommandRunner runner = argv -> CommandResult.failed(argv, 1, "Cannot open netlink socket\n");
        assertThatThrownBy(() -> new TcReader(runner, new TcCommands("wan0", "ifb4wan0")).read())
                .isInstanceOf(BackendException.class)
                .hasMessage("'ip -d -j link show' exited 1: Cannot open netlink socket");
    }
}
