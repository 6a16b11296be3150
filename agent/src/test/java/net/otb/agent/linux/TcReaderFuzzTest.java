package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.otb.agent.backend.BackendException;

/**
 * Jazzer on the {@code tc -j} / {@code ip -j} reader: whatever the tools print (another iproute2 version, a
 * truncated output, a kernel that reshapes its JSON), reading the shaping back gives a state or one
 * {@link BackendException} naming what was unreadable, never another exception that would escape the backend's
 * thread. The input is the outputs of the listings separated by NUL bytes, in the order {@link TcReader} runs
 * them (links, qdiscs, filters, classes; a listing beyond the last part prints nothing). Replays
 * {@code TcReaderFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes (docs/reliability.md).
 */
class TcReaderFuzzTest {

    static final TcCommands COMMANDS = new TcCommands("wan0", "ifb4wan0");

    @FuzzTest(maxDuration = "5m")
    void whatTheToolsPrintReadsAsAStateOrOneBackendError(byte[] outputs) {
        String[] parts = new String(outputs, StandardCharsets.UTF_8).split("\u0000", -1);
        CommandRunner runner = new CommandRunner() {
            int next;

            @Override
            public CommandResult run(List<String> argv) {
                String stdout = next < parts.length ? parts[next] : "";
                next++;
                return CommandResult.ok(argv, stdout);
            }
        };
        try {
            TcState state = new TcReader(runner, COMMANDS).read();
            assertThat(state).isNotNull();
            assertThat(state.summary(COMMANDS.ifb())).isNotBlank();
        } catch (BackendException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
