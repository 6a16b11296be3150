package net.otb.agent.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;

/**
 * The agent's footprint benchmark (docs/architecture.md#budgets: -Xmx16m, RSS ≤ 64 MB, start → connected ≤ 1.5 s, idle CPU ~0).
 * Starts a local mTLS test server, then the real agent jar as a child process with {@code -Xmx16m} against it,
 * and prints: start → hello (TLS up, hello sent), start → first profile applied, RSS and peak RSS (from /proc),
 * heap used (jcmd GC.heap_info, all generations), thread count, classes loaded (jcmd VM.class_hierarchy, with the
 * libraries the agent keeps off its start path counted apart), and CPU used while idle.
 *
 * <p>Run: {@code agent/dist/bench-agent.sh} (builds the jar if needed). Arguments: the agent jar, the idle
 * seconds to watch (default 10), then extra JVM flags for the agent.
 */
public final class AgentFootprint {

    private static final int WARM_UP_HANDSHAKES = 30;

    private AgentFootprint() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "agent/target/otb-agent.jar").toAbsolutePath();
        int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<String> jvmFlags = new ArrayList<>(List.of("-Xmx16m"));
        for (int i = 2; i < args.length; i++) {
            jvmFlags.add(args[i]);
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(jar + " not found: build it with mvn -o -q -pl agent package -DskipTests");
        }
        Path dir = Files.createTempDirectory("otb-agent-bench");
        TestPki pki = new TestPki();
        Credentials device = pki.device("OTB3-BENCH1");
        Files.writeString(dir.resolve("agent.key"), Pem.write(device.key()));
        Files.writeString(dir.resolve("agent.crt"), Pem.writeChain(device.chain()));
        Files.writeString(dir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        try (TestServer server = TestServer.start(pki)) {
            server.heartbeatSeconds(30);
            warmUp(server, pki);
            Path config = dir.resolve("agent.properties");
            // OTB_BENCH_BACKEND (default memory) and its options, e.g. linux-tc with "interface=otbwan0" inside the
            // network namespace of agent/dist/bench-agent-tc.sh: the backend a real box runs
            String backend = System.getenv().getOrDefault("OTB_BENCH_BACKEND", "memory");
            List<String> lines = new ArrayList<>(List.of("servers=127.0.0.1:" + server.port(), "tls.key=agent.key",
                    "tls.certificate=agent.crt", "tls.ca=ca.crt", "state.dir=state", "backend=" + backend,
                    "renewal.window.days=1"));
            for (String option : System.getenv().getOrDefault("OTB_BENCH_BACKEND_OPTIONS", "").split(",")) {
                if (!option.isBlank()) {
                    lines.add("backend." + option.strip());
                }
            }
            lines.add("");
            Files.writeString(config, String.join("\n", lines));
            List<String> command = new ArrayList<>();
            // OTB_AGENT_JAVA: the java of the runtime to measure, e.g. the jlink image of agent/dist/jlink.sh
            String java = System.getenv("OTB_AGENT_JAVA");
            command.add(java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmFlags);
            command.addAll(List.of("-jar", jar.toString(), "--config", config.toString()));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile());
            long start = System.nanoTime();
            Process agent = builder.start();
            try {
                TestServer.Connection connection = server.nextConnection(Duration.ofSeconds(30));
                connection.awaitHello(Duration.ofSeconds(30));
                long hello = System.nanoTime();
                double cpuToHello = cpuSeconds(agent.pid());
                if (System.getenv("OTB_BENCH_HISTO") != null) {
                    jcmd(agent.pid(), "GC.class_histogram", "-all").lines().limit(25).forEach(System.out::println);
                }
                connection.send(ProfilePush.of(new BandwidthProfile(1, "otb-svc-bench", "business.v1", 1_000_000,
                        1_000_000, "192.0.2.1"), 60));
                connection.expect(Applied.class, Duration.ofSeconds(30));
                long applied = System.nanoTime();
                connection.send(new Confirm(1));
                // a benchmark, not a test: it measures over wall-clock windows. The only event in them would be the
                // agent dying, which fails the run; first let start-up work settle
                awaitStillRunning(agent, Duration.ofSeconds(2), "settling after the confirm");
                long pid = agent.pid();
                double cpuBefore = cpuSeconds(pid);
                long idleStart = System.nanoTime();
                awaitStillRunning(agent, Duration.ofSeconds(idleSeconds), "idle");
                double cpuIdle = cpuSeconds(pid) - cpuBefore;
                double idleWall = (System.nanoTime() - idleStart) / 1e9;
                String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
                long rssKb = field(status, "VmRSS");
                long peakKb = field(status, "VmHWM");
                long threads = field(status, "Threads");
                if (System.getenv("OTB_BENCH_PMAP") != null) {
                    Process pmap = new ProcessBuilder("pmap", "-x", Long.toString(pid)).redirectErrorStream(true).start();
                    String map = new String(pmap.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    map.lines().filter(l -> l.matches("^[0-9a-f]+\\s+\\d+\\s+(\\d{4,}).*")).sorted((a, b) ->
                            Long.compare(Long.parseLong(b.trim().split("\\s+")[2]), Long.parseLong(a.trim().split("\\s+")[2])))
                            .limit(25).forEach(System.out::println);
                }
                String heap = heapUsed(pid);
                String classes = classesLoaded(pid);
                if (jvmFlags.stream().anyMatch(f -> f.startsWith("-XX:NativeMemoryTracking"))) {
                    System.out.println(jcmd(pid, "VM.native_memory", "summary"));
                }
                System.out.printf("agent footprint (%s on %s, backend %s, flags %s)%n", jar.getFileName(),
                        command.get(0), backend, String.join(" ", jvmFlags));
                System.out.printf("  start -> hello (TLS up)        %6d ms%n", TimeUnit.NANOSECONDS.toMillis(hello - start));
                System.out.printf("  start -> first profile applied %6d ms%n", TimeUnit.NANOSECONDS.toMillis(applied - start));
                System.out.printf("  agent CPU until hello          %6d ms (all its threads; the wall time above also "
                        + "counts waiting for a busy machine)%n", Math.round(cpuToHello * 1000));
                System.out.printf("  machine load average           %s%n",
                        Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
                System.out.printf("  RSS                            %6.1f MB (peak %.1f MB)%n", rssKb / 1024.0, peakKb / 1024.0);
                System.out.printf("  heap used                      %s%n", heap);
                System.out.printf("  threads                        %6d%n", threads);
                System.out.printf("  classes loaded                 %s%n", classes);
                System.out.printf("  idle CPU                       %6.2f %% of one core over %.0f s%n",
                        100 * cpuIdle / idleWall, idleWall);
                System.out.printf("  agent log                      %s%n", dir.resolve("agent.log"));
            } finally {
                agent.destroy();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Handshakes with in-process agents first, so that the server's side of the measured handshake is warm, as a
     * real server's is: the figure is then the agent's start, not this tool's.
     */
    private static void warmUp(TestServer server, TestPki pki) throws Exception {
        net.otb.agent.tls.ClientTls tls = net.otb.agent.tls.ClientTls.of(pki.anchors(),
                net.otb.protocol.tls.TlsProvider.JDK);
        for (int i = 0; i < WARM_UP_HANDSHAKES; i++) {
            net.otb.agent.Agent agent = net.otb.agent.Agent.builder()
                    .servers(List.of(server.address()))
                    .credentials(pki.device("OTB3-WARM" + i))
                    .tls(tls)
                    .backend(new net.otb.agent.backend.MemoryBackend())
                    .stateStore(net.otb.agent.state.StateStore.inMemory())
                    .build();
            agent.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
            server.nextConnection(Duration.ofSeconds(30)).awaitHello(Duration.ofSeconds(30));
            agent.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static long field(String status, String name) {
        Matcher m = Pattern.compile("^" + name + ":\\s+(\\d+)", Pattern.MULTILINE).matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** utime + stime of the process, in seconds (USER_HZ = 100 on Linux). */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    private static String jcmd(long pid, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        line.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** Used and committed over every generation (the serial collector reports young and tenured apart). */
    private static String heapUsed(long pid) throws Exception {
        String out = jcmd(pid, "GC.heap_info");
        Matcher m = Pattern.compile("total (\\d+)K, used (\\d+)K").matcher(out);
        long total = 0;
        long used = 0;
        boolean found = false;
        while (m.find()) {
            found = true;
            total += Long.parseLong(m.group(1));
            used += Long.parseLong(m.group(2));
        }
        if (found) {
            return String.format("%6.1f MB (committed %.1f MB)", used / 1024.0, total / 1024.0);
        }
        return "unavailable (jcmd: " + out.strip().lines().findFirst().orElse("no output") + ")";
    }

    /** How many classes the agent loaded, and how many of the libraries it keeps off its start path. */
    private static String classesLoaded(long pid) throws Exception {
        String out = jcmd(pid, "VM.class_hierarchy");
        String[] watched = {"com.fasterxml.jackson.databind.", "org.bouncycastle.", "picocli."};
        long[] counts = new long[watched.length];
        long total = 0;
        for (String line : out.lines().toList()) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String name = line.substring(0, slash).replaceFirst("^[|\\s-]*", "");
            total++;
            for (int i = 0; i < watched.length; i++) {
                if (name.startsWith(watched[i])) {
                    counts[i]++;
                }
            }
        }
        return String.format("%6d (jackson-databind %d, bouncycastle %d, picocli %d)", total, counts[0], counts[1],
                counts[2]);
    }

    /** Waits out a measuring window, failing the run if the agent exits during it. */
    private static void awaitStillRunning(Process agent, Duration window, String phase) throws InterruptedException {
        if (agent.waitFor(window.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the agent exited with " + agent.exitValue() + " while " + phase);
        }
    }
}
