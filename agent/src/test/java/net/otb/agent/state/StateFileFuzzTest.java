package net.otb.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Jazzer on the state-file reader: whatever {@code state.json} holds after a crash, a disk fault or a hand edit,
 * reading it gives a state or one {@link IOException} naming the file (the agent then refuses to start rather
 * than guess a customer's shaping); a state read is written back to bytes that read as the same state. Replays
 * {@code StateFileFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes (docs/reliability.md).
 */
class StateFileFuzzTest {

    static final Path ORIGIN = Path.of("/var/lib/otb-agent/state.json");

    @FuzzTest(maxDuration = "5m")
    void aStateFileReadsAsAStateThatRoundTripsOrOneErrorNamingIt(byte[] content) throws IOException {
        AgentState state;
        try {
            state = DirectoryStateStore.parse(content, ORIGIN);
        } catch (IOException e) {
            assertThat(e.getMessage()).startsWith(ORIGIN.toString());
            return;
        }
        assertThat(state).isNotNull();
        byte[] again = DirectoryStateStore.write(state);
        assertThat(DirectoryStateStore.parse(again, ORIGIN)).isEqualTo(state);
    }
}
