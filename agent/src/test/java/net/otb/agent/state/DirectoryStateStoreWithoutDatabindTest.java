package net.otb.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import net.otb.agent.testing.WithoutDatabind;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.Test;

/** The box's agent ships without jackson-databind: its state file must be saved and read with jackson-core alone. */
class DirectoryStateStoreWithoutDatabindTest {

    static AgentState state() {
        BandwidthProfile applied = new BandwidthProfile(3, "otb-svc-1", "starter.v1", 500_000, 250_000, "2001:db8::7");
        BandwidthProfile previous = new BandwidthProfile(2, "otb-svc-1", "business.v1", 1_000_000, 900_000,
                "192.0.2.10");
        return new AgentState(applied, previous, new AgentState.PendingConfirm(3, 1_700_000_000_000L), 1L, null);
    }

    /** Saves and loads a state, then loads a broken file: the saved state and the refusal, as text. */
    static final class Probe implements Callable<List<String>> {

        @Override
        public List<String> call() throws IOException {
            Path dir = Files.createTempDirectory("otb-state");
            try {
                StateStore.directory(dir).save(state());
                String loaded = StateStore.directory(dir).load().toString();
                Files.writeString(dir.resolve(DirectoryStateStore.FILE_NAME), "{\"applied\":{\"generation\":\"3\"}}");
                try {
                    StateStore.directory(dir).load();
                    return List.of(loaded, "a broken file loaded");
                } catch (IOException e) {
                    return List.of(loaded, e.getMessage());
                }
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                        Files.delete(file);
                    }
                }
            }
        }
    }

    @Test
    void theStateIsSavedLoadedAndRefusedWithoutDatabind() throws Exception {
        assertThat(WithoutDatabind.hides("com.fasterxml.jackson.databind.ObjectMapper")).isTrue();
        assertThat(WithoutDatabind.hides("com.fasterxml.jackson.annotation.JsonInclude")).isTrue();
        assertThat(WithoutDatabind.hides("com.fasterxml.jackson.core.JsonParser")).isFalse();

        List<String> seen = WithoutDatabind.call(Probe.class);

        assertThat(seen.get(0)).isEqualTo(state().toString());
        assertThat(seen.get(1)).contains("state.json").contains("applied.generation must be an integer");
    }
}
