package net.otb.server.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.server.ServerMain;

/** {@code ServerMain} in a child JVM on a data folder, for tests that kill it. */
public final class ChildServer implements AutoCloseable {

    private static final Pattern READY = Pattern.compile(Pattern.quote(ServerMain.READY) + " agentPort=(\\d+) httpPort=(\\d+)");

    private final Process process;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final CompletableFuture<int[]> ports = new CompletableFuture<>();

    private final Thread reader;

    private ChildServer(Process process) {
        this.process = process;
        reader = new Thread(this::read, "child-server-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code ServerMain} with these arguments and waits until it prints its ports. */
    public static ChildServer start(Path dataDir, String... args) throws IOException {
        return start(List.of(), dataDir, args);
    }

    /** The same under a wrapper command, e.g. {@code strace -f -o FILE}, put before {@code java}. */
    public static ChildServer start(List<String> wrapper, Path dataDir, String... args) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, ServerMain.class.getName(),
                "--data-dir", dataDir.toString(), "--agent-port", "0", "--http-port", "0"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        ChildServer child = new ChildServer(process);
        try {
            child.ports.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IOException("the child server did not start: " + e + "\n" + child.output(), e);
        }
        return child;
    }

    public int agentPort() {
        return ports.join()[0];
    }

    public int httpPort() {
        return ports.join()[1];
    }

    /** Kills the JVM at once, as a crash would (SIGKILL). */
    public void kill() throws InterruptedException {
        // under a wrapper (strace) the JVM is the wrapper's child, and a killed strace leaves its tracee running
        List<ProcessHandle> descendants = process.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        for (ProcessHandle descendant : descendants) {
            try {
                descendant.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // gone or stuck: nothing more a test can do
            }
        }
    }

    /** Asks for a clean stop (SIGTERM) and returns the exit code. */
    public int terminate() throws InterruptedException {
        // Process.destroy() would also close our end of the child's output; the handle only signals
        process.toHandle().destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    public synchronized String output() {
        return String.join("\n", lastLines);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (this) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 200) {
                        lastLines.removeFirst();
                    }
                }
                Matcher m = READY.matcher(line);
                if (m.find()) {
                    ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                }
            }
        } catch (IOException e) {
            // the child died: its output ends here
        }
        ports.completeExceptionally(new IOException("the child server exited"));
    }
}
