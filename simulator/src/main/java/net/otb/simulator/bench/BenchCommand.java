package net.otb.simulator.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.ArrayList;
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
import net.otb.agent.ServerAddress;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.tls.OpensslSpeed;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.campaign.PrivatePostgres;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.Folders;
import net.otb.simulator.lab.Provisioning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulator bench}: the figures of docs/architecture.md#budgets for N boxes. The server runs in a child JVM (its heap
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

    @Option(names = "--server-stripes", defaultValue = "8",
            description = "the server's store stripes (threads doing the sessions' store work, each committing its own group; default: ${DEFAULT-VALUE})")
    int serverStripes;

    @Option(names = "--threads", defaultValue = "2", description = "the fleet's event-loop threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--max-connecting", defaultValue = "64", description = "handshakes in flight while ramping up (default: ${DEFAULT-VALUE})")
    int maxConnecting;

    @Option(names = "--out", defaultValue = "bench-results", description = "folder of the JSON results (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--deadline", defaultValue = "900", description = "seconds each phase may take (default: ${DEFAULT-VALUE})")
    int deadlineSeconds;

    @Option(names = "--instances", defaultValue = "1",
            description = "server instances (child JVMs) on one PostgreSQL database; above 1 needs --store postgres (default: ${DEFAULT-VALUE})")
    int instances;

    @Option(names = "--store", defaultValue = "h2",
            description = "h2 (embedded, one instance) or postgres (a private PostgreSQL the bench starts, or --jdbc-url) (default: ${DEFAULT-VALUE})")
    String store;

    @Option(names = "--jdbc-url", description = "an existing PostgreSQL database instead of the private one (implies --store postgres)")
    String jdbcUrl;

    @Option(names = "--jdbc-user", defaultValue = "otb", description = "with --jdbc-url (default: ${DEFAULT-VALUE})")
    String jdbcUser;

    @Option(names = "--jdbc-password-env", defaultValue = "PGPASS",
            description = "with --jdbc-url: the environment variable that holds the password (default: ${DEFAULT-VALUE})")
    String jdbcPasswordEnv;

    @Option(names = "--payments", defaultValue = "50",
            description = "with several instances: payments posted to the first instance for boxes held by another (default: ${DEFAULT-VALUE})")
    int payments;

    private final long start = System.nanoTime();
    private ScheduledExecutorService progressExecutor;

    private void say(String format, Object... args) {
        System.out.printf("[%7.1fs] %s%n", (System.nanoTime() - start) / 1e9, String.format(format, args));
    }

    @Override
    public Integer call() throws Exception {
        if (devices < 1) {
            System.err.println("bench: --devices must be at least 1");
            return 2;
        }
        if (jdbcUrl != null) {
            store = "postgres";
        }
        if (!store.equals("h2") && !store.equals("postgres")) {
            System.err.println("bench: --store is h2 or postgres, not " + store);
            return 2;
        }
        if (serverStripes < 1 || serverStripes > 64) {
            System.err.println("bench: --server-stripes must be between 1 and 64");
            return 2;
        }
        if (instances < 1 || instances > 8) {
            System.err.println("bench: --instances must be between 1 and 8");
            return 2;
        }
        if (instances > 1 && store.equals("h2")) {
            System.err.println("bench: several instances share one PostgreSQL database (H2 is the single-instance "
                    + "embedded store): add --store postgres, or --jdbc-url");
            return 2;
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("devices", devices);
        result.put("startedAt", Instant.now().toString());
        // the commit built (bench.sh passes it) and the load average, so that a figure carries both
        result.put("commit", System.getenv().getOrDefault("OTB_COMMIT", "unknown"));
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("start", loadAverage());
        result.put("loadAverage", load);
        result.put("machine", machine());

        say("bench: %d boxes; server in a child JVM (%s, %d store stripes), fleet here (max heap %d MB, %d event-loop threads)",
                devices, String.join(" ", serverJvm), serverStripes, Runtime.getRuntime().maxMemory() >> 20, threads);
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
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        progressExecutor = progress;
        Fleet fleet = null;
        PrivatePostgres postgres = null;
        List<ChildServer> servers = new ArrayList<>();
        try {
            List<String> storeOptions = new ArrayList<>();
            if (store.equals("postgres")) {
                String url = jdbcUrl;
                String user = jdbcUser;
                String password = jdbcUrl == null ? "" : System.getenv().getOrDefault(jdbcPasswordEnv, "");
                if (url == null) {
                    long t = System.nanoTime();
                    // room for 10,000 boxes' rows in memory; the connections of every instance's pool and listener
                    postgres = PrivatePostgres.start(work, "-c shared_buffers=256MB -c max_connections=100");
                    url = postgres.createDatabase("otb_bench");
                    user = "postgres";
                    say("PostgreSQL: a private instance of the bench's own on 127.0.0.1:%d (initdb, started in %.1f s)",
                            postgres.port(), (System.nanoTime() - t) / 1e9);
                } else {
                    say("PostgreSQL: %s as %s", url, user);
                }
                storeOptions.add("--jdbc-url=" + url);
                storeOptions.add("--jdbc-user=" + user);
                storeOptions.add("--jdbc-password=" + password);
            }
            result.put("store", store);
            result.put("instances", instances);
            long t = System.nanoTime();
            // every instance in one data folder: one dev PKI (the same server certificate and CA), one API secrets
            // key and TLS ticket secret, as docs/scale-out.md runs them; the store is PostgreSQL's
            for (int i = 0; i < instances; i++) {
                List<String> options = new ArrayList<>(storeOptions);
                options.add("--db-stripes=" + serverStripes);
                String name = instances == 1 ? "server" : "server-" + instanceName(i);
                if (instances > 1) {
                    options.add("--instance-id=bench-" + instanceName(i));
                }
                ChildServer server = new ChildServer(work.resolve("server"), serverTls, serverJvm, options,
                        out.resolve("bench-" + stamp + "-" + name + ".log"));
                servers.add(server);
                server.start();
                say("%s up (pid %d): agents on %s, TLS %s; log in %s", instances == 1 ? "server"
                        : "instance bench-" + instanceName(i), server.pid(), server.agentAddress(),
                        server.tlsProviderName(), out.resolve("bench-" + stamp + "-" + name + ".log"));
            }
            say("%s in %.1f s", instances == 1 ? "server started" : instances + " instances started",
                    (System.nanoTime() - t) / 1e9);
            ChildServer first = servers.get(0);
            List<BoxModel> models = List.of(BoxModel.V2B, BoxModel.V2C, BoxModel.V3);
            String modelList = models.stream().map(BoxModel::wireName).collect(Collectors.joining(","));
            t = System.nanoTime();
            first.send("seed " + devices + " 1 " + FROM + " " + modelList);
            say("%d boxes and services registered in %.1f s", devices, (System.nanoTime() - t) / 1e9);

            long serverHeapBefore = heapAfterGc(servers);
            long fleetHeapBefore = MemoryProbe.heapAfterGc();
            long fleetRssBefore = MemoryProbe.rssBytes();
            Recorder recorder = new Recorder(devices);
            TlsProvider agentTls = TlsProvider.parse(fleetTls);
            FleetConfig base = FleetConfig.of(devices, agentTls);
            FleetConfig config = base.withModels(models).withMaxConnecting(maxConnecting)
                    .withSettings(base.settings().withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30)));
            List<ServerAddress> addresses = servers.stream().map(ChildServer::agentAddress).toList();
            // box k tries instance k mod N first, then the others in turn: the agent's own server list spreads them
            fleet = Fleet.build(config, first.issuer(), ClientTls.of(first.anchors(), agentTls),
                    offset -> rotated(addresses, offset % addresses.size()), group, Clock.systemUTC(), 2026, recorder);
            say("%d box certificates issued in %.1f s (%.2f ms each over %d cores)", devices,
                    fleet.credentialsTime().toMillis() / 1e3, fleet.credentialsTime().toNanos() / 1e6 / devices,
                    Runtime.getRuntime().availableProcessors());
            result.put("credentials", ordered("seconds", fleet.credentialsTime().toMillis() / 1e3));
            result.put("tls", ordered("server", first.tlsProviderName(), "fleet", fleet.tlsProviderName()));
            result.put("serverStripes", serverStripes);

            Fleet f = fleet;
            long[] cpuBefore = cpuNanos(servers);
            t = System.nanoTime();
            var ticker = progress.scheduleAtFixedRate(() -> say("  sessions %d/%d, initial profile confirmed %d",
                    f.connected(), devices, f.confirmedOn(FROM)), 5, 5, TimeUnit.SECONDS);
            fleet.start();
            // the server's CPU at half the ramp: its first half pays most of the cold JIT, the second is warmer
            awaitOrFail(fleet, () -> f.connected() >= devices / 2, "half the sessions");
            int atHalf = f.connected();
            long[] cpuAtHalf = cpuNanos(servers);
            awaitOrFail(fleet, () -> f.connected() == devices, "all sessions");
            double rampSeconds = (System.nanoTime() - t) / 1e9;
            long[] cpuAfter = cpuNanos(servers);
            awaitOrFail(fleet, () -> f.confirmedOn(FROM) == devices, "every initial profile confirmed");
            ticker.cancel(false);
            double serverCpuSeconds = sum(cpuAfter, cpuBefore) / 1e9;
            double perCpuSecond = devices / serverCpuSeconds;
            say("%d sessions established in %.1f s (%.0f/s wall); server CPU %.1f s → %.0f session set-ups (full handshake, hello, first push) per server CPU-second%s",
                    devices, rampSeconds, devices / rampSeconds, serverCpuSeconds, perCpuSecond,
                    speed == null ? "" : String.format(" = %.0f%% of the openssl bound", 100 * perCpuSecond
                            / speed.handshakesPerCoreSecond()));
            double secondHalfCpuSeconds = sum(cpuAfter, cpuAtHalf) / 1e9;
            double secondHalfPerCpuSecond = (devices - atHalf) / Math.max(secondHalfCpuSeconds, 1e-9);
            say("  of which the first %d sessions (cold JIT) %.1f server CPU-s, the last %d %.1f CPU-s → %.0f set-ups per server CPU-second",
                    atHalf, sum(cpuAtHalf, cpuBefore) / 1e9, devices - atHalf, secondHalfCpuSeconds,
                    secondHalfPerCpuSecond);
            Map<String, Object> sessions = new LinkedHashMap<>();
            sessions.put("established", f.connected());
            sessions.put("seconds", round(rampSeconds));
            sessions.put("serverCpuSeconds", round(serverCpuSeconds));
            sessions.put("sessionSetupsPerServerCpuSecond", Math.round(perCpuSecond));
            sessions.put("secondHalf", ordered("sessions", devices - atHalf, "serverCpuSeconds",
                    round(secondHalfCpuSeconds), "sessionSetupsPerServerCpuSecond", Math.round(secondHalfPerCpuSecond)));
            if (speed != null) {
                sessions.put("ratioToOpensslBound", round(perCpuSecond / speed.handshakesPerCoreSecond()));
            }
            sessions.put("note", "server CPU during the ramp includes each box's hello, store updates and its first push");
            // which instance holds which box (from the instances themselves, not from the boxes' server lists)
            int[] holder = new int[devices];
            if (instances > 1) {
                List<String> serials = f.devices().stream().map(SimulatedDevice::serial).toList();
                java.util.Arrays.fill(holder, -1);
                List<Object> perInstance = new ArrayList<>();
                for (int i = 0; i < instances; i++) {
                    java.util.Set<String> held = servers.get(i).holding(serials);
                    for (SimulatedDevice device : f.devices()) {
                        if (held.contains(device.serial())) {
                            holder[device.index() - 1] = i;
                        }
                    }
                    double cpu = (cpuAfter[i] - cpuBefore[i]) / 1e9;
                    say("  instance bench-%s: %d sessions, %.1f s of CPU for them (%.0f set-ups per CPU-second)",
                            instanceName(i), held.size(), cpu, held.size() / cpu);
                    perInstance.add(ordered("instance", "bench-" + instanceName(i), "sessions", held.size(),
                            "serverCpuSeconds", round(cpu), "sessionSetupsPerCpuSecond", Math.round(held.size() / cpu)));
                }
                sessions.put("perInstance", perInstance);
            }
            result.put("sessions", sessions);

            long serverHeapAfter = heapAfterGc(servers);
            long fleetHeapAfter = MemoryProbe.heapAfterGc();
            long fleetRssAfter = MemoryProbe.rssBytes();
            double serverPerSession = (serverHeapAfter - serverHeapBefore) / (double) devices;
            double agentHeapPerBox = (fleetHeapAfter - fleetHeapBefore) / (double) devices;
            double agentRssPerBox = (fleetRssAfter - fleetRssBefore) / (double) devices;
            say("server heap%s: %d MB idle → %d MB with %d sessions = %.1f KB per idle session (budget 16 KB)",
                    instances == 1 ? "" : " (all instances)", serverHeapBefore >> 20, serverHeapAfter >> 20, devices,
                    serverPerSession / 1024);
            say("fleet: %.1f KB heap and %.1f KB resident per box (agent, TLS, simulated box, credentials)",
                    agentHeapPerBox / 1024, agentRssPerBox / 1024);
            result.put("memory", ordered("serverHeapBeforeBytes", serverHeapBefore, "serverHeapAfterBytes", serverHeapAfter,
                    "serverHeapPerIdleSessionBytes", Math.round(serverPerSession),
                    "agentHeapPerBoxBytes", Math.round(agentHeapPerBox), "agentRssPerBoxBytes", Math.round(agentRssPerBox)));

            say("bulk change %s → %s for all %d services (one operator change%s, committed 1,000 per transaction)",
                    FROM, TO, devices, instances == 1 ? "" : " on instance bench-a");
            recorder.expect(TO);
            ticker = progress.scheduleAtFixedRate(() -> say("  applied %d/%d", recorder.appliedCount(), devices),
                    2, 2, TimeUnit.SECONDS);
            long[] bulkCpuBefore = cpuNanos(servers);
            long bulkStart = System.nanoTime();
            recorder.startedAt(bulkStart);
            long[] commits = commitTimes(first.send("bulk " + devices + " 1 " + TO + " " + modelList));
            double commitSeconds = (System.nanoTime() - bulkStart) / 1e9;
            awaitOrFail(fleet, () -> recorder.appliedCount() == devices, "every box applied " + TO);
            double allApplied = (System.nanoTime() - bulkStart) / 1e9;
            awaitOrFail(fleet, () -> f.confirmedOn(TO) == devices, "every box confirmed " + TO);
            long[] bulkCpuAfter = cpuNanos(servers);
            ticker.cancel(false);
            Latencies.Summary bulk = recorder.latencies().summary();
            Latencies.Summary fanOut = recorder.sinceCommit(commits).summary();
            say("bulk change → applied: %s; all applied %.1f s after the change (its %d commits took %.1f s)", bulk,
                    allApplied, commits.length, commitSeconds);
            say("own batch's commit → applied (the push fan-out alone): %s", fanOut);
            double bulkCpu = sum(bulkCpuAfter, bulkCpuBefore) / 1e9;
            say("server CPU from the change to the last confirm: %.1f s = %.2f ms per box (commits, push, applied, confirm)",
                    bulkCpu, bulkCpu * 1e3 / devices);
            Map<String, Object> bulkResult = ordered("p50Ms", bulk.p50Ms(), "p95Ms", bulk.p95Ms(), "p99Ms", bulk.p99Ms(),
                    "maxMs", bulk.maxMs(), "samples", bulk.count(), "allAppliedSeconds", round(allApplied),
                    "commitSeconds", round(commitSeconds), "fromOwnCommit", ordered("p50Ms", fanOut.p50Ms(),
                            "p95Ms", fanOut.p95Ms(), "p99Ms", fanOut.p99Ms(), "maxMs", fanOut.maxMs()),
                    "serverCpuSeconds", round(bulkCpu), "serverCpuMsPerBox", round(bulkCpu * 1e3 / devices));
            if (instances > 1) {
                List<Object> perInstance = new ArrayList<>();
                for (int i = 0; i < instances; i++) {
                    Latencies.Summary held = recorder.latencies().summary(holder, i);
                    double cpu = (bulkCpuAfter[i] - bulkCpuBefore[i]) / 1e9;
                    say("  boxes held by bench-%s (%s): %s; its CPU %.1f s", instanceName(i),
                            i == 0 ? "the committing instance, in-process" : "told by LISTEN/NOTIFY", held, cpu);
                    perInstance.add(ordered("instance", "bench-" + instanceName(i), "p50Ms", held.p50Ms(), "p99Ms",
                            held.p99Ms(), "samples", held.count(), "serverCpuSeconds", round(cpu)));
                }
                bulkResult.put("perInstance", perInstance);
            }
            result.put("bulkPush", bulkResult);

            if (instances > 1 && payments > 0) {
                result.put("crossInstancePayment", crossInstancePayments(f, first, servers, holder, recorder));
            }

            int retriesBefore = recorder.toldToRetry();
            Map<String, Object> storm = instances == 1 ? restartStorm(f, recorder, first, modelList)
                    : instanceLossStorm(f, recorder, servers, holder, modelList);
            storm.put("toldRetryAfter", recorder.toldToRetry() - retriesBefore);
            result.put("reconnectStorm", storm);
            boolean allReconciled = (Boolean) storm.get("reconciled");
            double stormSeconds = (Double) storm.get(instances == 1 ? "secondsAfterRestart" : "secondsAfterKill");
            int lost = (Integer) storm.get("pushesLost");

            Map<String, Object> budgets = new LinkedHashMap<>();
            budgets.put("sessions10000", devices >= 10_000 && f.connected() == devices);
            budgets.put("bulkP99Under2s", bulk.p99Ms() <= 2_000);
            budgets.put("stormUnder15s", allReconciled && stormSeconds <= 15);
            budgets.put("heapPerSessionUnder16KB", serverPerSession <= 16 * 1024);
            budgets.put("sessionSetupsPerCpuSecondOver1000", perCpuSecond >= 1_000);
            budgets.put("fanOutCpuPerBoxUnder0.10ms", bulkCpu * 1e3 / devices <= 0.10);
            budgets.put("bulkP99Under1s", bulk.p99Ms() <= 1_000);
            Object down = storm.get("serverDownSeconds");
            budgets.put("serverBackUnder3s", down instanceof Double d && d <= 3);
            result.put("budgetsMet", budgets);
            load.put("end", loadAverage());
            Path file = out.resolve("bench-" + stamp + ".json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), result);
            say("budgets: %s; load average %s at the start, %s at the end", budgets, load.get("start"), load.get("end"));
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
            for (ChildServer server : servers) {
                server.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            if (postgres != null) {
                postgres.close();
            }
            Folders.deleteQuietly(work);
        }
    }

    /** One instance: a bulk change committed, the server SIGKILLed at once and restarted; until all reconciled. */
    private Map<String, Object> restartStorm(Fleet f, Recorder recorder, ChildServer server, String modelList)
            throws Exception {
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
        var ticker = progressTicker(f, recorder);
        boolean allReconciled = waitQuietly(f.awaitUntil(
                () -> f.connected() == devices && f.confirmedOn(FROM) == devices, Duration.ofSeconds(deadlineSeconds)),
                deadlineSeconds);
        ticker.cancel(false);
        double stormSeconds = (System.nanoTime() - upAt) / 1e9;
        int lost = devices - f.confirmedOn(FROM);
        say("storm: %s in %.1f s after the restart (%.1f s after the kill); pushes lost: %d",
                allReconciled ? "all " + devices + " boxes reconnected and reconciled" : "NOT all reconciled",
                stormSeconds, (System.nanoTime() - killedAt) / 1e9, lost);
        return ordered("reconciled", allReconciled, "secondsAfterRestart", round(stormSeconds),
                "secondsAfterKill", round((System.nanoTime() - killedAt) / 1e9), "serverDownSeconds",
                round((upAt - killedAt) / 1e9), "pushesLost", lost, "confirmedBeforeKill", appliedBeforeKill);
    }

    /**
     * Several instances: a bulk change committed on the first, then the last SIGKILLed (not restarted): its boxes
     * fail over to the survivors (their server lists) and are reconciled there; until all are.
     */
    private Map<String, Object> instanceLossStorm(Fleet f, Recorder recorder, List<ChildServer> servers, int[] holder,
                                                  String modelList) throws Exception {
        int victim = servers.size() - 1;
        int moving = (int) java.util.Arrays.stream(holder).filter(h -> h == victim).count();
        say("reconnect storm: bulk change back to %s on bench-a, then bench-%s (holding %d sessions) killed (SIGKILL) "
                + "once it is committed, not restarted", FROM, instanceName(victim), moving);
        List<ChildServer> survivors = servers.subList(0, victim);
        long[] cpuBefore = cpuNanos(survivors);
        servers.get(0).send("bulk " + devices + " 1 " + FROM + " " + modelList);
        long killedAt = System.nanoTime();
        servers.get(victim).stop(true);
        int appliedBeforeKill = f.confirmedOn(FROM);
        say("bench-%s killed; %d boxes had confirmed %s by then", instanceName(victim), appliedBeforeKill, FROM);
        var ticker = progressTicker(f, recorder);
        boolean allReconciled = waitQuietly(f.awaitUntil(
                () -> f.connected() == devices && f.confirmedOn(FROM) == devices, Duration.ofSeconds(deadlineSeconds)),
                deadlineSeconds);
        double stormSeconds = (System.nanoTime() - killedAt) / 1e9;
        ticker.cancel(false);
        long[] cpuAfter = cpuNanos(survivors);
        int lost = devices - f.confirmedOn(FROM);
        int held = 0;
        for (ChildServer survivor : survivors) {
            held += survivor.sessions();
        }
        double cpu = sum(cpuAfter, cpuBefore) / 1e9;
        say("storm: %s in %.1f s after the kill; the survivors hold %d sessions; pushes lost: %d; survivors' CPU %.1f s",
                allReconciled ? "all " + devices + " boxes reconnected and reconciled" : "NOT all reconciled",
                stormSeconds, held, lost, cpu);
        return ordered("reconciled", allReconciled, "secondsAfterKill", round(stormSeconds), "killed",
                "bench-" + instanceName(victim), "sessionsMoved", moving, "survivorSessions", held, "pushesLost", lost,
                "confirmedBeforeKill", appliedBeforeKill, "survivorCpuSeconds", round(cpu));
    }

    /**
     * Payments posted to the first instance's API, one at a time, for boxes whose session another instance holds:
     * from the payment to the box's {@code applied} (the change travels by LISTEN/NOTIFY to the box's holder).
     */
    private Map<String, Object> crossInstancePayments(Fleet f, ChildServer first, List<ChildServer> servers,
                                                      int[] holder, Recorder recorder) throws Exception {
        List<SimulatedDevice> elsewhere = f.devices().stream().filter(d -> holder[d.index() - 1] > 0)
                .limit(payments).toList();
        say("payments: %d orders (%s → %s) posted one at a time to bench-a for boxes held by another instance",
                elsewhere.size(), TO, FROM);
        ServerApi api = new ServerApi(first.apiAccess(), Duration.ofSeconds(30));
        Latencies toApplied = new Latencies(elsewhere.size());
        Latencies toAnswer = new Latencies(elsewhere.size());
        for (int i = 0; i < elsewhere.size(); i++) {
            SimulatedDevice device = elsewhere.get(i);
            String service = Provisioning.serviceName(device.serial());
            JsonNode quote = api.get("/1.0/order/overTheBox/" + service + "/migrate" + ServerApi.query("offer", FROM));
            List<String> contracts = new ArrayList<>();
            quote.path("contracts").forEach(c -> contracts.add(c.path("name").asText()));
            JsonNode order = api.post("/1.0/overTheBox/" + service + "/migration/changeOffers",
                    ServerApi.body("offer", FROM, "acceptedContracts", contracts));
            long orderId = order.path("orderId").asLong();
            CompletableFuture<Long> applied = recorder.watch(device.serial(), FROM);
            long sent = System.nanoTime();
            JsonNode paid = api.post("/1.0/me/order/" + orderId + "/pay", ServerApi.body("paymentId", "bench-" + orderId));
            long answered = System.nanoTime();
            if (!"done".equals(paid.path("migration").path("state").asText())) {
                throw new BenchFailure("order " + orderId + " paid, but its migration is "
                        + paid.path("migration").path("state").asText());
            }
            long at;
            try {
                at = applied.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                throw new BenchFailure(device.serial() + " did not apply " + FROM + " within 30 s of order " + orderId);
            }
            toApplied.record(i, at - sent);
            toAnswer.record(i, answered - sent);
        }
        Latencies.Summary summary = toApplied.summary();
        Latencies.Summary answer = toAnswer.summary();
        say("payment on bench-a → applied on a box held elsewhere: %s (the payment's answer: p50 %.1f ms)", summary,
                answer.p50Ms());
        return ordered("p50Ms", summary.p50Ms(), "p95Ms", summary.p95Ms(), "maxMs", summary.maxMs(), "samples",
                summary.count(), "answerP50Ms", answer.p50Ms());
    }

    private java.util.concurrent.ScheduledFuture<?> progressTicker(Fleet f, Recorder recorder) {
        return progressExecutor.scheduleAtFixedRate(() -> say("  sessions %d/%d, reconciled %d, told retryAfter %d",
                f.connected(), devices, f.confirmedOn(FROM), recorder.toldToRetry()), 2, 2, TimeUnit.SECONDS);
    }

    private static String instanceName(int index) {
        return String.valueOf((char) ('a' + index));
    }

    private static <T> List<T> rotated(List<T> list, int by) {
        List<T> rotated = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            rotated.add(list.get((by + i) % list.size()));
        }
        return rotated;
    }

    private static long[] cpuNanos(List<ChildServer> servers) throws IOException {
        long[] cpu = new long[servers.size()];
        for (int i = 0; i < cpu.length; i++) {
            cpu[i] = servers.get(i).cpuNanos();
        }
        return cpu;
    }

    private static long sum(long[] after, long[] before) {
        long total = 0;
        for (int i = 0; i < after.length; i++) {
            total += after[i] - before[i];
        }
        return total;
    }

    private static long heapAfterGc(List<ChildServer> servers) throws IOException {
        long total = 0;
        for (ChildServer server : servers) {
            total += server.heapAfterGc();
        }
        return total;
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

        private final AtomicInteger toldToRetry = new AtomicInteger();

        @Override
        public void retryAfter(SimulatedDevice device, int seconds) {
            toldToRetry.incrementAndGet();
        }

        /** How many times boxes were told {@code retryAfter} so far. */
        int toldToRetry() {
            return toldToRetry.get();
        }

        private final Map<String, Watch> watched = new java.util.concurrent.ConcurrentHashMap<>();

        /** Completes with the instant (nanoTime) {@code serial} next applies {@code offer}. */
        CompletableFuture<Long> watch(String serial, String offer) {
            Watch watch = new Watch(offer, new CompletableFuture<>());
            watched.put(serial, watch);
            return watch.applied();
        }

        private record Watch(String offer, CompletableFuture<Long> applied) {
        }

        @Override
        public void applied(SimulatedDevice device, BandwidthProfile profile) {
            Watch watch = watched.get(device.serial());
            if (watch != null && watch.offer().equals(profile.offer()) && watched.remove(device.serial(), watch)) {
                watch.applied().complete(System.nanoTime());
            }
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

    /** The 1, 5 and 15 minute load averages as /proc/loadavg gives them, or "unknown". */
    private static String loadAverage() {
        try {
            String[] fields = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
