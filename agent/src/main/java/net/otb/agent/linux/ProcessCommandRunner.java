package net.otb.agent.linux;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs commands as child processes, each with a deadline after which it is killed (with its children).
 * A prefix such as {@code ip netns exec NS} or {@code sudo -n} is put in front of every command.
 *
 * <p>Output goes to temporary files rather than pipes: a pipe read on this thread could block past the deadline
 * on a hung tool, and reading pipes on extra threads costs more than it is worth for outputs of a few kilobytes.
 */
public final class ProcessCommandRunner implements CommandRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessCommandRunner.class);
    private static final File NO_INPUT = new File("/dev/null");

    private final List<String> prefix;
    private final Duration timeout;

    /**
     * @param prefix put before every command, e.g. {@code [ip, netns, exec, box]}; empty for none
     * @param timeout how long one command may run before it is killed
     */
    public ProcessCommandRunner(List<String> prefix, Duration timeout) {
        this.prefix = List.copyOf(prefix);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public CommandResult run(List<String> argv) throws IOException {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        List<String> full = new ArrayList<>(prefix);
        full.addAll(argv);
        Path out = Files.createTempFile("otb-cmd-", ".out");
        Path err = Files.createTempFile("otb-cmd-", ".err");
        try {
            Process process = new ProcessBuilder(full)
                    .redirectInput(NO_INPUT)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            boolean exited;
            try {
                exited = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while running '" + String.join(" ", full) + "'");
            }
            if (!exited) {
                kill(process);
                LOG.warn("killed '{}' after {} ms", String.join(" ", full), timeout.toMillis());
                throw new CommandTimeoutException(argv, timeout);
            }
            CommandResult result = new CommandResult(argv, process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            LOG.debug("'{}' exited {}", String.join(" ", full), result.exitCode());
            return result;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static void kill(Process process) {
        // ip netns exec and sudo exec the tool in place, but a shell wrapper would leave children behind
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
