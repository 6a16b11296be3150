package net.otb.simulator.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.otb.simulator.SimulatorMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A campaign stopped half-way (SIGTERM, as {@code kill} or a CI timeout sends it) reports the runs it finished and
 * stops: before, it went on starting runs against the processes its own shutdown was killing, and printed a "lab
 * failed" line for each until the JVM ended (hundreds, once PostgreSQL was down). Runs the command in a JVM of its
 * own, as a user does.
 */
class CampaignStopTest {

    @TempDir
    Path work;

    @Test
    void aStoppedCampaignPrintsTheRunsItFinishedAndStartsNoOther() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                SimulatorMain.class.getName(), "campaign", "--runs", "50", "--seed", "77", "--boxes", "2", "--steps",
                "6", "--child-agents", "1", "--work", work.toString()).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        CompletableFuture<Void> firstRun = new CompletableFuture<>();
        CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    if (line.startsWith("run 1/50 ")) {
                        firstRun.complete(null);
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            firstRun.get(180, TimeUnit.SECONDS);
            List<ProcessHandle> children = process.descendants().toList();
            // SIGTERM through the handle: Process#destroy would also close our end of its output
            process.toHandle().destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the campaign ended").isTrue();
            ended.get(10, TimeUnit.SECONDS);
            assertThat(children).as("no server or agent JVM left behind").noneMatch(ProcessHandle::isAlive);
        } finally {
            process.destroyForcibly();
        }
        String printed;
        synchronized (lines) {
            printed = String.join("\n", lines);
        }
        assertThat(printed).contains("run 1/50 seed 77 (h2)", "campaign stopped", "STOPPED")
                .doesNotContain("lab failed", "PASSED");
        long finished = lines.stream().filter(l -> l.matches("run \\d+/50 seed .*violations.*")).count();
        assertThat(lines).as(printed).anyMatch(l -> l.startsWith("runs " + finished + ", failed 0, lab errors 0"));
        assertThat(lines.stream().filter(l -> l.startsWith("== campaign")).count()).as("one summary").isEqualTo(1);
    }
}
