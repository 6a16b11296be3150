package net.otb.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryStateStoreTest {

    @TempDir
    Path dir;

    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-1", "starter.v1", 500_000, 500_000, "2001:db8::7");
    }

    @Test
    void aFirstStartHasAnEmptyState() throws Exception {
        assertThat(StateStore.directory(dir.resolve("fresh")).load()).isEqualTo(AgentState.EMPTY);
    }

    @Test
    void theStateRoundTripsAndAnotherStoreOnTheFolderReadsIt() throws Exception {
        AgentState state = new AgentState(profile(3), profile(2), new AgentState.PendingConfirm(3, 1_700_000_000_000L),
                1L, null);
        StateStore.directory(dir).save(state);
        assertThat(StateStore.directory(dir).load()).isEqualTo(state);
        assertThat(Files.readString(dir.resolve("state.json"))).contains("\"generation\" : 3");
    }

    @Test
    void anUnreadableStateIsRefusedWithItsPathNotReplacedByNothing() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"applied\": {\"generation\": 3, \"serviceName\"");
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageContaining("state.json");
        assertThat(dir.resolve("state.json")).exists();
    }

    @Test
    void aStateBreakingItsRulesIsRefused() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"applied\":null,\"pending\":{\"generation\":4,"
                + "\"deadlineEpochMillis\":1}}");
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageContaining("pending confirm");
    }

    @Test
    void temporaryFilesACrashLeftBehindAreRemovedOnLoad() throws Exception {
        StateStore.directory(dir).save(new AgentState(profile(1), null, null, null, null));
        Path leftover = dir.resolve(".state.json12345.tmp");
        Files.writeString(leftover, "{\"applied\":");
        assertThat(StateStore.directory(dir).load().applied()).isEqualTo(profile(1));
        assertThat(leftover).doesNotExist();
    }
}
