package net.otb.simulator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.tls.OpensslSpeed;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.Folders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulator bench}: the figures of DESIGN §8 for N boxes. The server runs in a child JVM (its heap
 * and CPU time are then its own, and it can be killed for real); the fleet runs here. Phases:
 * <ol>
 *   <li>the {@code openssl speed} bound of a full P-256 mTLS handshake;</li>
 *   <li>N sessions established: time, and full handshakes per server CPU-second;</li>
 *   <li>server heap per idle session (GC, heap used before and after, divided by N), agent-side heap per box;</li>
 *   <li>a bulk offer change to all N: push → applied percentiles, from the operator's change;</li>
 *   <li>a second bulk change, the server killed right after it commits and restarted: the reconnect storm until
 *       every box is reconciled, and how many committed changes were lost.</li>
 * </ol>
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Start a server (child JVM) and a fleet of N boxes; measure sessions, handshakes, memory, bulk push and a reconnect storm.")
public final class BenchCommand implements Callable<Integer> {

    private static final String FROM = "starter.v1";
    private static final String TO = "business.v1";

    @Option(names = "--devices", defaultValue = "10000", description = "boxes in the fleet (default: ${DEFAULT-VALUE})")
    int devices;

    @Option(names = "--server-tls", defaultValue = "openssl", description = "server TLS engine (default: ${DEFAULT-VALUE})")
    String serverTls;

    @Option(names = "--fleet-tls", defaultValue = "openssl", description = "agents' TLS engine (default: ${DEFAULT-VALUE})")
    String fleetTls;

    @Option(names = "--server-jvm", defaultValue = "-Xmx512m", split = " ",
            description = "JVM options of the server process (default: ${DEFAULT-VALUE})")
    List<String> serverJvm;

    @Option(names = "--threads", defaultValue = "2", description = "the fleet's event-loop threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--max-connecting", defaultValue = "64", description = "handshakes in flight while ramping up (default: ${DEFAULT-VALUE})")
    int maxConnecting;

    @Option(names = "--out", defaultValue = "bench-results", description = "folder of the JSON results (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--deadline", defaultValue = "900", description = "seconds each phase may take (default: ${DEFAULT-VALUE})")
    int deadlineSeconds;

    private final long start = System.nanoTime();

    private void say(String format, Object... args) {
        System.out.printf("[%7.1fs] %s%n", (System.nanoTime() - start) / 1e9, String.format(format, args));
    }

    @Override
    public Integer call() throws Exception {
        if (devices < 1) {
            System.err.println("bench: --devices must be at least 1");
            return 2;
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("devices", devices);
        result.put("startedAt", Instant.now().toString());
        result.put("machine", machine());

        say("bench: %d boxes; server in a child JVM (%s), fleet here (max heap %d MB, %d event-loop threads)",
                devices, String.join(" ", serverJvm), Runtime.getRuntime().maxMemory() >> 20, threads);
        OpensslSpeed speed = null;
        try {
            speed = OpensslSpeed.measure();
            say("openssl speed: sign %.0f/s, verify %.0f/s, ecdh %.0f/s per core → bound %.0f full handshakes/s/core",
                    speed.signPerSecond(), speed.verifyPerSecond(), speed.ecdhPerSecond(), speed.handshakesPerCoreSecond());
            result.put("opensslSpeed", ordered("signPerSecond", speed.signPerSecond(), "verifyPerSecond",
                    speed.verifyPerSecond(), "ecdhPerSecond", speed.ecdhPerSecond(), "handshakeBoundPerCoreSecond",
                    Math.round(speed.handshakesPerCoreSecond())));
        } catch (IOException e) {
            say("openssl speed unavailable (%s): no ratio to the crypto bound", e.getMessage());
        }

        Path work = Files.createTempDirectory("otb-bench-");
        Files.createDirectories(out);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path serverLog = out.resolve("bench-" + stamp + "-server.log");
        ChildServer server = new ChildServer(work.resolve("server"), serverTls, serverJvm, serverLog);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        Fleet fleet = null;
        try {
            long t = System.nanoTime();
            server.start();
            say("server up in %.1f s (pid %d): agents on %s, TLS %s; log in %s", (System.nanoTime() - t) / 1e9,
                    server.pid(), server.agentAddress(), server.tlsProviderName(), serverLog);
            List<BoxModel> models = List.of(BoxModel.V2B, BoxModel.V2C, BoxModel.V3);
            String modelList = models.stream().map(BoxModel::wireName).collect(Collectors.joining(","));
            t = System.nanoTime();
            server.send("seed " + devices + " 1 " + FROM + " " + modelList);
            say("%d boxes and services registered in %.1f s", devices, (System.nanoTime() - t) / 1e9);

            long serverHeapBefore = server.heapAfterGc();
            long fleetHeapBefore = MemoryProbe.heapAfterGc();
            long fleetRssBefore = MemoryProbe.rssBytes();
            Recorder recorder = new Recorder(devices);
            TlsProvider agentTls = TlsProvider.parse(fleetTls);
            FleetConfig base = FleetConfig.of(devices, agentTls);
            FleetConfig config = base.withModels(models).withMaxConnecting(maxConnecting)
                    .withSettings(base.settings().withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30)));
            fleet = Fleet.build(config, server.issuer(), ClientTls.of(server.anchors(), agentTls),
                    List.of(server.agentAddress()), group, Clock.systemUTC(), 2026, recorder);
            say("%d box certificates issued in %.1f s (%.2f ms each over %d cores)", devices,
                    fleet.credentialsTime().toMillis() / 1e3, fleet.credentialsTime().toNanos() / 1e6 / devices,
                    Runtime.getRuntime().availableProcessors());
            result.put("credentials", ordered("seconds", fleet.credentialsTime().toMillis() / 1e3));
            result.put("tls", ordered("server", server.tlsProviderName(), "fleet", fleet.tlsProviderName()));

            Fleet f = fleet;
            long cpuBefore = server.cpuNanos();
            t = System.nanoTime();
            var ticker = progress.scheduleAtFixedRate(() -> say("  sessions %d/%d, initial profile confirmed %d",
                    f.connected(), devices, f.confirmedOn(FROM)), 5, 5, TimeUnit.SECONDS);
            fleet.start();
            awaitOrFail(fleet, () -> f.connected() == devices, "all sessions");
            double rampSeconds = (System.nanoTime() - t) / 1e9;
            long cpuAfter = server.cpuNanos();
            awaitOrFail(fleet, () -> f.confirmedOn(FROM) == devices, "every initial profile confirmed");
            ticker.cancel(false);
            double serverCpuSeconds = (cpuAfter - cpuBefore) / 1e9;
            double perCpuSecond = devices / serverCpuSeconds;
            say("%d sessions established in %.1f s (%.0f/s wall); server CPU %.1f s → %.0f session set-ups (full handshake, hello, first push) per server CPU-second%s",
                    devices, rampSeconds, devices / rampSeconds, serverCpuSeconds, perCpuSecond,
                    speed == null ? "" : String.format(" = %.0f%% of the openssl bound", 100 * perCpuSecond
                            / speed.handshakesPerCoreSecond()));
            Map<String, Object> sessions = new LinkedHashMap<>();
            sessions.put("established", f.connected());
            sessions.put("seconds", round(rampSeconds));
            sessions.put("serverCpuSeconds", round(serverCpuSeconds));
            sessions.put("sessionSetupsPerServerCpuSecond", Math.round(perCpuSecond));
            if (speed != null) {
                sessions.put("ratioToOpensslBound", round(perCpuSecond / speed.handshakesPerCoreSecond()));
            }
            sessions.put("note", "server CPU during the ramp includes each box's hello, store updates and its first push");
            result.put("sessions", sessions);

            long serverHeapAfter = server.heapAfterGc();
            long fleetHeapAfter = MemoryProbe.heapAfterGc();
            long fleetRssAfter = MemoryProbe.rssBytes();
            double serverPerSession = (serverHeapAfter - serverHeapBefore) / (double) devices;
            double agentHeapPerBox = (fleetHeapAfter - fleetHeapBefore) / (double) devices;
            double agentRssPerBox = (fleetRssAfter - fleetRssBefore) / (double) devices;
            say("server heap: %d MB idle → %d MB with %d sessions = %.1f KB per idle session (budget 16 KB)",
                    serverHeapBefore >> 20, serverHeapAfter >> 20, devices, serverPerSession / 1024);
            say("fleet: %.1f KB heap and %.1f KB resident per box (agent, TLS, simulated box, credentials)",
                    agentHeapPerBox / 1024, agentRssPerBox / 1024);
            result.put("memory", ordered("serverHeapBeforeBytes", serverHeapBefore, "serverHeapAfterBytes", serverHeapAfter,
                    "serverHeapPerIdleSessionBytes", Math.round(serverPerSession),
                    "agentHeapPerBoxBytes", Math.round(agentHeapPerBox), "agentRssPerBoxBytes", Math.round(agentRssPerBox)));

            say("bulk change %s → %s for all %d services (one operator change, committed 1,000 per transaction)",
                    FROM, TO, devices);
            recorder.expect(TO);
            ticker = progress.scheduleAtFixedRate(() -> say("  applied %d/%d", recorder.appliedCount(), devices),
                    2, 2, TimeUnit.SECONDS);
            long bulkStart = System.nanoTime();
            recorder.startedAt(bulkStart);
            long[] commits = commitTimes(server.send("bulk " + devices + " 1 " + TO + " " + modelList));
            double commitSeconds = (System.nanoTime() - bulkStart) / 1e9;
            awaitOrFail(fleet, () -> recorder.appliedCount() == devices, "every box applied " + TO);
            double allApplied = (System.nanoTime() - bulkStart) / 1e9;
            awaitOrFail(fleet, () -> f.confirmedOn(TO) == devices, "every box confirmed " + TO);
            ticker.cancel(false);
            Latencies.Summary bulk = recorder.latencies().summary();
            Latencies.Summary fanOut = recorder.sinceCommit(commits).summary();
            say("bulk change → applied: %s; all applied %.1f s after the change (its %d commits took %.1f s)", bulk,
                    allApplied, commits.length, commitSeconds);
            say("own batch's commit → applied (the push fan-out alone): %s", fanOut);
            result.put("bulkPush", ordered("p50Ms", bulk.p50Ms(), "p95Ms", bulk.p95Ms(), "p99Ms", bulk.p99Ms(),
                    "maxMs", bulk.maxMs(), "samples", bulk.count(), "allAppliedSeconds", round(allApplied),
                    "commitSeconds", round(commitSeconds), "fromOwnCommit", ordered("p50Ms", fanOut.p50Ms(),
                            "p95Ms", fanOut.p95Ms(), "p99Ms", fanOut.p99Ms(), "maxMs", fanOut.maxMs())));

            say("reconnect storm: bulk change back to %s, the server killed (SIGKILL) once it is committed, then restarted",
                    FROM);
            server.send("bulk " + devices + " 1 " + FROM + " " + modelList);
            long killedAt = System.nanoTime();
            server.stop(true);
            int appliedBeforeKill = f.confirmedOn(FROM);
            say("server killed; %d boxes had confirmed %s by then; restarting", appliedBeforeKill, FROM);
            server.start();
            long upAt = System.nanoTime();
            say("server back in %.1f s", (upAt - killedAt) / 1e9);
            ticker = progress.scheduleAtFixedRate(() -> say("  sessions %d/%d, reconciled %d", f.connected(), devices,
                    f.confirmedOn(FROM)), 2, 2, TimeUnit.SECONDS);
            CompletableFuture<Void> reconciled = fleet.awaitUntil(
                    () -> f.connected() == devices && f.confirmedOn(FROM) == devices, Duration.ofSeconds(deadlineSeconds));
            boolean allReconciled = waitQuietly(reconciled, deadlineSeconds);
            ticker.cancel(false);
            double stormSeconds = (System.nanoTime() - upAt) / 1e9;
            int lost = devices - f.confirmedOn(FROM);
            say("storm: %s in %.1f s after the restart (%.1f s after the kill); pushes lost: %d",
                    allReconciled ? "all " + devices + " boxes reconnected and reconciled" : "NOT all reconciled",
                    stormSeconds, (System.nanoTime() - killedAt) / 1e9, lost);
            result.put("reconnectStorm", ordered("reconciled", allReconciled, "secondsAfterRestart", round(stormSeconds),
                    "secondsAfterKill", round((System.nanoTime() - killedAt) / 1e9), "serverDownSeconds",
                    round((upAt - killedAt) / 1e9), "pushesLost", lost, "confirmedBeforeKill", appliedBeforeKill));

            Map<String, Object> budgets = new LinkedHashMap<>();
            budgets.put("sessions10000", devices >= 10_000 && f.connected() == devices);
            budgets.put("bulkP99Under2s", bulk.p99Ms() <= 2_000);
            budgets.put("stormUnder30s", allReconciled && stormSeconds <= 30);
            budgets.put("heapPerSessionUnder16KB", serverPerSession <= 16 * 1024);
            // the budget is for bare handshakes; a session set-up costs more, so meeting it here implies meeting it
            budgets.put("sessionSetupsPerCpuSecondOver5000", perCpuSecond >= 5_000);
            result.put("budgetsMet", budgets);
            Path file = out.resolve("bench-" + stamp + ".json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), result);
            say("budgets (DESIGN §8): %s", budgets);
            say("results written to %s", file);
            return allReconciled && lost == 0 ? 0 : 1;
        } catch (BenchFailure e) {
            say("BENCH FAILED: %s", e.getMessage());
            return 1;
        } finally {
            progress.shutdownNow();
            if (fleet != null) {
                fleet.close();
            }
            server.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            Folders.deleteQuietly(work);
        }
    }

    private void awaitOrFail(Fleet fleet, BooleanSupplier condition, String what) throws BenchFailure,
            InterruptedException {
        if (!waitQuietly(fleet.awaitUntil(condition, Duration.ofSeconds(deadlineSeconds)), deadlineSeconds)) {
            throw new BenchFailure("not reached within " + deadlineSeconds + " s: " + what);
        }
    }

    private static boolean waitQuietly(CompletableFuture<Void> future, int seconds) throws InterruptedException {
        try {
            future.get(seconds + 10L, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /** The epoch-millisecond commit times of {@code OK bulk T1,T2,…}. */
    private static long[] commitTimes(String reply) {
        String list = reply.substring("OK bulk ".length()).trim();
        return java.util.Arrays.stream(list.split(",")).mapToLong(Long::parseLong).toArray();
    }

    /** A JSON object that keeps its fields in the order given (name, value, name, value…). */
    private static Map<String, Object> ordered(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    private static Map<String, Object> machine() {
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("memoryBytes", ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return machine;
    }

    /** A phase did not complete in time. */
    static final class BenchFailure extends Exception {
        BenchFailure(String message) {
            super(message);
        }
    }

    /** Records, per box, when it first applied the offer the bench is waiting for. */
    static final class Recorder implements FleetListener {

        private final Latencies latencies;
        private final long[] appliedEpochMillis;
        private final AtomicInteger applied = new AtomicInteger();
        private final boolean[] seen;
        private volatile String expected;
        private volatile long startedAt;

        Recorder(int size) {
            latencies = new Latencies(size);
            appliedEpochMillis = new long[size];
            seen = new boolean[size];
        }

        synchronized void expect(String offer) {
            expected = offer;
            java.util.Arrays.fill(seen, false);
            applied.set(0);
        }

        void startedAt(long nanos) {
            startedAt = nanos;
        }

        @Override
        public void applied(SimulatedDevice device, BandwidthProfile profile) {
            if (expected == null || !expected.equals(profile.offer())) {
                return;
            }
            long now = System.nanoTime();
            long epochMillis = System.currentTimeMillis();
            int slot = device.index() - 1;
            synchronized (this) {
                if (seen[slot]) {
                    return;
                }
                seen[slot] = true;
            }
            latencies.record(slot, now - startedAt);
            appliedEpochMillis[slot] = epochMillis;
            applied.incrementAndGet();
        }

        /**
         * Each box's latency from the commit of its own batch (box k is in batch k / 1,000) to its apply, in the
         * machine's wall clock shared by both JVMs (millisecond resolution).
         */
        synchronized Latencies sinceCommit(long[] commits) {
            Latencies fromCommit = new Latencies(appliedEpochMillis.length);
            for (int slot = 0; slot < appliedEpochMillis.length; slot++) {
                int batch = Math.min(slot / 1_000, commits.length - 1);
                if (seen[slot]) {
                    fromCommit.record(slot, Math.max(0, appliedEpochMillis[slot] - commits[batch]) * 1_000_000L);
                }
            }
            return fromCommit;
        }

        int appliedCount() {
            return applied.get();
        }

        Latencies latencies() {
            return latencies;
        }
    }
}
