package net.otb.simulator.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A box's applied history logs each apply with the generation its agent had confirmed then, and reads back. */
class AppliedHistoryTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path folder;

    private static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "svc-1", "starter.v1", 500_000, 500_000, "100.64.0.2");
    }

    @Test
    void eachApplyIsLoggedWithTheGenerationTheSavedStateHadConfirmed() throws Exception {
        StateStore state = StateStore.directory(folder);
        AppliedHistory history = new AppliedHistory(folder.resolve("applied.log"), folder, CLOCK);

        history.applied(profile(1));
        state.save(new AgentState(profile(1), null, null, null, null));
        history.applied(profile(2));
        state.save(new AgentState(profile(2), profile(1), new AgentState.PendingConfirm(2, 0), null, null));
        history.applied(profile(1));

        List<AppliedHistory.Entry> entries = AppliedHistory.read(history.file());
        assertThat(entries).extracting(AppliedHistory.Entry::generation).containsExactly(1L, 2L, 1L);
        assertThat(entries).extracting(AppliedHistory.Entry::confirmedBefore)
                .as("nothing confirmed yet, then 1; with 2 pending the last confirmed is still 1")
                .containsExactly(null, 1L, 1L);
        assertThat(entries.get(0).epochMillis()).isEqualTo(CLOCK.millis());
        assertThat(entries.get(0).serviceIp()).isEqualTo("100.64.0.2");
    }

    @Test
    void anUnreadableStateFileIsLoggedAsSuchAndATornLastLineIsSkipped() throws Exception {
        Files.writeString(folder.resolve("state.json"), "{\"applied\": {\"generation\": 3", StandardCharsets.UTF_8);
        AppliedHistory history = new AppliedHistory(folder.resolve("applied.log"), folder, CLOCK);

        history.applied(profile(3));
        Files.writeString(history.file(), "1796 4 svc-1 starter", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        List<AppliedHistory.Entry> entries = AppliedHistory.read(history.file());
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).stateUnreadable()).isTrue();
        assertThat(AppliedHistory.read(folder.resolve("absent.log"))).isEmpty();
    }

    @Test
    void readingTheStateLeavesTheAgentsTemporaryFilesAlone() throws Exception {
        Path leftover = Files.writeString(folder.resolve(".state.json123.tmp"), "{}", StandardCharsets.UTF_8);
        StateStore.directory(folder).save(new AgentState(profile(5), null, null, null, null));
        Files.writeString(leftover, "{}", StandardCharsets.UTF_8);

        AgentState read = AppliedHistory.readState(folder.resolve("state.json"));

        assertThat(read.applied().generation()).isEqualTo(5);
        assertThat(leftover).as("a save in progress is not swept away by a reader").exists();
    }
}
