package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessCommandRunnerTest {

    private final ProcessCommandRunner runner = new ProcessCommandRunner(List.of(), Duration.ofSeconds(5));

    @Test
    void exitCodeAndBothOutputsComeBack() throws Exception {
        CommandResult result = runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThat(result.failureMessage()).isEqualTo("'sh -c echo out; echo err >&2; exit 3' exited 3: err");
    }

    @Test
    void thePrefixRunsInFrontButIsNotPartOfTheResult() throws Exception {
        CommandResult result = new ProcessCommandRunner(List.of("echo", "prefixed"), Duration.ofSeconds(5))
                .run(List.of("tc", "-j", "qdisc"));
        assertThat(result.stdout()).isEqualTo("prefixed tc -j qdisc\n");
        assertThat(result.argv()).containsExactly("tc", "-j", "qdisc");
    }

    @Test
    void aCommandPastItsDeadlineIsKilled(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        ProcessCommandRunner quick = new ProcessCommandRunner(List.of(), Duration.ofMillis(300));

        assertThatThrownBy(() -> quick.run(List.of("sh", "-c", "echo $$ > " + pidFile + "; exec sleep 60")))
                .isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("did not finish within 300 ms and was killed");

        long pid = Long.parseLong(Files.readString(pidFile).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                .orElse(false) == Boolean.FALSE);
        assertThat(ProcessHandle.of(pid).flatMap(h -> h.isAlive() ? Optional.of(h) : Optional.empty())).isEmpty();
    }

    @Test
    void aMissingProgramIsAnIoFailure() {
        assertThatThrownBy(() -> runner.run(List.of("otb-no-such-tool-x")))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("otb-no-such-tool-x");
    }
}
