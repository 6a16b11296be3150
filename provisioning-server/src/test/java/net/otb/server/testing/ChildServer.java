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
import java.nio.file.Files;
import java.time.Clock;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.ApiSigner;
import net.otb.server.auth.Role;
import net.otb.server.ServerMain;

/** {@code ServerMain} in a child JVM on a data folder, for tests that kill it. */
public final class ChildServer implements AutoCloseable {

    private static final Pattern READY = Pattern.compile(Pattern.quote(ServerMain.READY) + " agentPort=(\\d+) httpPort=(\\d+)");

    private final Process process;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final List<String> allLines = new ArrayList<>();
    private final CompletableFuture<int[]> ports = new CompletableFuture<>();

    private final Thread reader;

    private ChildServer(Process process) {
        this.process = process;
        reader = new Thread(this::read, "child-server-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The credentials of every role, made before the first start in {@code DATADIR/test-credentials/}. */
    public static final String CREDENTIALS = "test-credentials";

    private Path dataDir;

    /**
     * Starts {@code ServerMain} with these arguments and waits until it prints its ports. Before the first start
     * on a folder, makes one credential per role with {@code otb-server create-credential} (same store options).
     */
    public static ChildServer start(Path dataDir, String... args) throws IOException {
        return start(List.of(), dataDir, args);
    }

    /** The same under a wrapper command, e.g. {@code strace -f -o FILE}, put before {@code java}. */
    public static ChildServer start(List<String> wrapper, Path dataDir, String... args) throws IOException {
        createCredentials(dataDir, args);
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
        child.dataDir = dataDir;
        return child;
    }

    private static void createCredentials(Path dataDir, String... args) throws IOException {
        Path folder = dataDir.resolve(CREDENTIALS);
        if (Files.isDirectory(folder)) {
            return;
        }
        Files.createDirectories(folder);
        List<String> store = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].startsWith("--jdbc-")) {
                store.add(args[i]);
                store.add(args[i + 1]);
            }
        }
        for (Role role : Role.values()) {
            List<String> command = new ArrayList<>(List.of("create-credential", "--role", role.wire(), "--data-dir",
                    dataDir.toString(), "--output", folder.resolve(role.wire() + ".json").toString()));
            command.addAll(store);
            int code = ServerMain.run(command.toArray(String[]::new));
            if (code != 0) {
                throw new IOException("create-credential --role " + role.wire() + " exited with " + code);
            }
        }
    }

    /** A client of this child's API: trusts {@code anchors} (a child started with its own PKI), signs as {@link #http()}. */
    public Http http(List<java.security.cert.X509Certificate> anchors) throws IOException {
        List<ApiCredential> credentials = new ArrayList<>();
        for (Role role : Role.values()) {
            credentials.addAll(ApiCredential.read(dataDir.resolve(CREDENTIALS).resolve(role.wire() + ".json")));
        }
        return new Http(httpPort(), ApiSigner.trusting(anchors), new ApiSigner(credentials, Clock.systemUTC()));
    }

    /** A client of this child's API: trusts its dev CA, signs with the credentials made for every role. */
    public Http http() throws IOException {
        List<ApiCredential> credentials = new ArrayList<>();
        for (Role role : Role.values()) {
            credentials.addAll(ApiCredential.read(dataDir.resolve(CREDENTIALS).resolve(role.wire() + ".json")));
        }
        try {
            return new Http(httpPort(), ApiSigner.trusting(Pem.readCertificates(dataDir.resolve("pki/ca.crt"))),
                    new ApiSigner(credentials, Clock.systemUTC()));
        } catch (PkiException e) {
            throw new IOException(e);
        }
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

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The operating system's process id (to send it signals). */
    public long pid() {
        return process.pid();
    }

    /** Pauses the JVM (SIGSTOP) as a long GC pause would, and returns once the kernel shows it stopped. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
        try {
            org.awaitility.Awaitility.await("the child " + pid() + " stopped (state T in /proc)")
                    .atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(5))
                    .until(this::stopped);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IOException("the child " + pid() + " did not stop", e);
        }
    }

    private boolean stopped() throws IOException {
        String stat = java.nio.file.Files.readString(Path.of("/proc/" + pid() + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
    }

    /** Lets a paused JVM run again (SIGCONT). */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + pid() + " failed");
        }
    }

    /** Waits for a line of the output containing {@code text}; returns it. */
    public synchronized String awaitLine(String text, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int from = 0;
        while (true) {
            for (int i = from; i < allLines.size(); i++) {
                if (allLines.get(i).contains(text)) {
                    return allLines.get(i);
                }
            }
            from = allLines.size();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no line with \"" + text + "\" within " + timeout + "; last lines:\n" + output());
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Every line of the output containing {@code text}. */
    public synchronized List<String> lines(String text) {
        return allLines.stream().filter(l -> l.contains(text)).toList();
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
                    allLines.add(line);
                    notifyAll();
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
