package net.otb.server.store.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default (H2 file) forces each answered change to the disk before the answer: the server runs as a
 * child JVM under {@code strace}, which logs every {@code fsync}/{@code fdatasync} with its file, start time and
 * duration; for each change answered over HTTP there must be an {@code fsync} of {@code otb.mv.db} that began
 * after the request was sent and ended before the answer was read. Without strace (or ptrace) the test is
 * skipped, except under {@code CI=true}, where {@code .ci/run} installs it.
 */
class H2FsyncTest {

    static final int CHANGES = 5;
    /** {@code PID SECONDS.MICROS fsync(FD</path>) = 0 <DURATION>} as strace -ttt -T -y prints it. */
    static final Pattern SYNC = Pattern.compile(
            "^\\d+\\s+(\\d+)\\.(\\d{6}) (fsync|fdatasync)\\(\\d+<([^>]*)>\\) = 0 <(\\d+)\\.(\\d{6})>$");

    @Test
    void everyAnsweredChangeIsFsyncedBeforeItsAnswer(@TempDir Path dir) throws Exception {
        requireStrace();
        Path log = dir.resolve("strace.log");
        Path data = dir.resolve("data");
        List<String> strace = List.of("strace", "-f", "--seccomp-bpf", "-qq", "-e", "signal=none", "-ttt", "-T", "-y",
                "-e", "trace=fsync,fdatasync", "-o", log.toString());
        try (ChildServer child = ChildServer.start(strace, data)) {
            Http http = child.http();
            String dbFile = data.resolve("otb.mv.db").toAbsolutePath().toString();
            for (int i = 0; i < CHANGES; i++) {
                long sent = micros(Instant.now());
                Http.Answer answer = http.post("/1.0/admin/devices",
                        "{\"serial\":\"OTB3-F" + i + "\",\"model\":\"v3\"}");
                long answered = micros(Instant.now());
                assertThat(answer.status()).isEqualTo(201);
                // strace writes a line when the call returns; the line may reach the file a moment later
                await("an fsync of " + dbFile + " between change " + i + " and its answer")
                        .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> syncOf(log, dbFile, sent, answered).isPresent());
            }
        }
    }

    /** An fsync of {@code file} inside [from, to] (epoch microseconds), as the log shows it. */
    static Optional<String> syncOf(Path log, String file, long from, long to) throws IOException {
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher m = SYNC.matcher(line.strip());
            if (!m.matches() || !m.group(4).equals(file)) {
                continue;
            }
            long start = Long.parseLong(m.group(1)) * 1_000_000 + Long.parseLong(m.group(2));
            long end = start + Long.parseLong(m.group(5)) * 1_000_000 + Long.parseLong(m.group(6));
            if (start >= from && end <= to) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    static void requireStrace() throws InterruptedException {
        String why;
        try {
            Process probe = new ProcessBuilder("strace", "-f", "-qq", "-e", "trace=fsync", "-o", "/dev/null", "true")
                    .redirectErrorStream(true).start();
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0) {
                return;
            }
            why = "strace cannot trace here: " + output.strip();
        } catch (IOException e) {
            why = "strace is not installed: " + e.getMessage();
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(why + " (.ci/run installs strace)");
        }
        Assumptions.abort(why);
    }
}
