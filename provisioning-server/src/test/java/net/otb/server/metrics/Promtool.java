package net.otb.server.metrics;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Prometheus's own checker (Debian package {@code prometheus}, installed by .ci/run): a test without it fails under CI. */
final class Promtool {

    record Run(int exit, String output) {
    }

    private Promtool() {
    }

    static void require() {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "promtool")));
        if (!found) {
            String reason = "promtool is not on the PATH (.ci/run installs the Debian package prometheus)";
            if ("true".equals(System.getenv("CI"))) {
                fail(reason + "; CI needs this test to run");
            }
            Assumptions.abort(reason + ": skipped");
        }
    }

    /** Runs {@code promtool args...} in {@code dir}, {@code stdin} fed to it, within 60 s. */
    static Run run(Path dir, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("promtool");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("promtool " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Run(process.exitValue(), output);
    }
}
