package net.otb.simulator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.otb.agent.Agent;
import net.otb.agent.AgentListener;
import net.otb.agent.AgentSettings;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceDescription;
import net.otb.agent.state.StateStore;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerStartException;
import net.otb.server.desired.DeviceNotifier;
import net.otb.server.gateway.AgentGateway;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.hardware.BoxListener;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.hardware.Faults;
import net.otb.simulator.hardware.SimulatedBox;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;

/**
 * Payment → applied for one box at a time (docs/architecture.md#budgets: p50 ≤ 50 ms on loopback, simulated backend). An embedded
 * server (H2 file database and dev PKI in a scratch folder, the HTTP API and the mTLS gateway on 127.0.0.1) and
 * one real agent per box model over a {@link SimulatedBox}. Each sample is the guide's offer change without a
 * box, through the HTTP API as the order system makes it (quote, {@code changeOffers} with the contracts
 * accepted, then billing's {@code pay}), alternating Starter ↔ Business so that every sample is a real change,
 * and the next sample starts only once the server's {@code confirm} reached the box.
 *
 * <p>Every instant is read from {@link System#nanoTime()} in this one JVM: the payment leaving, its answer, the
 * server's after-commit hook (the desired-state engine's notifier, wrapped here to note the time and pass the
 * call on unchanged), the agent handing the profile to its hardware, the shaper done, the agent's
 * {@code profileApplied}, and the {@code confirm} the server sends once it has committed {@code applied}.
 */
public final class PaymentLatency {

    static final String STARTER = "starter.v1";
    static final String BUSINESS = "business.v1";

    /**
     * What to run.
     *
     * @param samples measured changes
     * @param warmup changes made first and not counted (the JIT, the pools, the statement caches warm up)
     * @param models one box per model; samples go round-robin over the boxes
     * @param tls both ends' TLS engine
     * @param agentStateOnDisk the agents save their state in files (write, fsync, rename) rather than in memory
     * @param sampleDeadline how long one change may take before the run fails
     */
    public record Settings(int samples, int warmup, List<BoxModel> models, TlsProvider tls, boolean agentStateOnDisk,
                           Duration sampleDeadline) {
        public Settings {
            if (samples < 1 || warmup < 0) {
                throw new IllegalArgumentException("samples must be at least 1 and warmup at least 0, got "
                        + samples + " and " + warmup);
            }
            if (models == null || models.isEmpty()) {
                throw new IllegalArgumentException("at least one box model is needed");
            }
            models = List.copyOf(models);
            if (tls == null || sampleDeadline == null || sampleDeadline.isNegative() || sampleDeadline.isZero()) {
                throw new IllegalArgumentException("tls and a positive sampleDeadline are required");
            }
        }
    }

    /**
     * The measured changes, in order, and what the run was made on.
     *
     * @param cpuNanos the CPU time this process (server, agents, HTTP client) spent over the measured changes
     */
    public record Report(List<Timeline> timelines, LoadAverage loadBefore, LoadAverage loadAfter, String tls,
                         long cpuNanos) {

        /** CPU time per measured change, in milliseconds, everything in this process included. */
        public double cpuMillisPerChange() {
            return cpuNanos / 1e6 / Math.max(1, timelines.size());
        }

        public Latencies.Summary summary(Timeline.Stage stage) {
            return stage.summary(timelines);
        }

        /** {@link Timeline.Stage#PAY_TO_APPLIED} for the boxes of one model. */
        public Latencies.Summary payToApplied(BoxModel model) {
            return Timeline.Stage.PAY_TO_APPLIED.summary(timelines.stream().filter(t -> t.model() == model).toList());
        }
    }

    /** The run could not complete; the message says which step. */
    public static final class LatencyFailure extends Exception {
        LatencyFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Settings settings;
    private final PrintStream out;
    private final Path workDir;
    private final Clock clock;
    private final long start = System.nanoTime();

    public PaymentLatency(Settings settings, PrintStream out, Path workDir, Clock clock) {
        this.settings = settings;
        this.out = out;
        this.workDir = workDir;
        this.clock = clock;
    }

    /**
     * Starts everything, runs the warm-up and the samples, stops everything.
     *
     * @throws LatencyFailure naming the step that failed
     */
    public Report run() throws LatencyFailure, InterruptedException {
        EmbeddedServer server = null;
        EventLoopGroup group = null;
        List<Agent> agents = new ArrayList<>();
        try {
            try {
                server = EmbeddedServer.start(workDir.resolve("server"), settings.tls(), clock, null);
            } catch (ServerStartException | PkiException e) {
                throw new LatencyFailure("cannot start the server: " + e.getMessage(), e);
            }
            say("server up: agents on %s (mTLS, %s), HTTP API on %s, H2 in %s", server.agentAddress(),
                    server.tlsProviderName(), server.httpBase(), workDir.resolve("server"));
            Map<String, Probe> probes = new ConcurrentHashMap<>();
            watchCommits(server.server(), probes);
            ServerApi api = new ServerApi(server.apiAccess(), Duration.ofSeconds(15));
            group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            ClientTls clientTls = ClientTls.of(server.anchors(), settings.tls());
            List<Probe> boxes = new ArrayList<>();
            SplittableRandom random = new SplittableRandom(2026);
            for (int i = 0; i < settings.models().size(); i++) {
                BoxModel model = settings.models().get(i);
                Probe probe = new Probe(FleetConfig.serial(model, 901 + i), model, group.next(), clock,
                        Provisioning.serviceIp(900 + i));
                register(api, probe);
                probes.put(probe.serial(), probe);
                boxes.add(probe);
                agents.add(agent(server, probe, clientTls, group, random.split()));
            }
            for (Agent agent : agents) {
                agent.start();
            }
            for (Probe probe : boxes) {
                await(probe.firstConfirm, probe.serial() + " connects and confirms its first profile");
            }
            say("%d box(es) connected over mTLS: %s", boxes.size(), boxes);
            LoadAverage before = LoadAverage.now();
            say("warm-up: %d changes (not counted); load average %s", settings.warmup(), before);
            // the JIT's work shows as CPU per change; it levels off once the path is compiled
            int block = Math.max(1, settings.warmup() / 4);
            long blockCpu = processCpuNanos();
            for (int i = 0; i < settings.warmup(); i++) {
                change(api, boxes.get(i % boxes.size()));
                if ((i + 1) % block == 0) {
                    long cpu = processCpuNanos();
                    say("  warm-up %d/%d: %.1f ms of CPU per change", i + 1, settings.warmup(),
                            (cpu - blockCpu) / 1e6 / block);
                    blockCpu = cpu;
                }
            }
            say("measuring %d changes, one box at a time, Starter ↔ Business alternately", settings.samples());
            List<Timeline> timelines = new ArrayList<>(settings.samples());
            long cpuBefore = processCpuNanos();
            int step = Math.max(1, settings.samples() / 5);
            for (int i = 0; i < settings.samples(); i++) {
                timelines.add(change(api, boxes.get((settings.warmup() + i) % boxes.size())));
                if ((i + 1) % step == 0 && i + 1 < settings.samples()) {
                    say("  %d/%d", i + 1, settings.samples());
                }
            }
            long cpu = processCpuNanos() - cpuBefore;
            return new Report(List.copyOf(timelines), before, LoadAverage.now(), server.tlsProviderName(), cpu);
        } catch (IOException e) {
            throw new LatencyFailure("cannot reach the server's HTTP API: " + e, e);
        } catch (ServerApi.ApiException e) {
            throw new LatencyFailure("the server refused a call: " + e.getMessage(), e);
        } finally {
            for (Agent agent : agents) {
                try {
                    agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // scratch agents: the group's shutdown below ends them anyway
                }
            }
            if (server != null) {
                server.close();
            }
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** One offer change of {@code probe}'s service, timed from the payment on. */
    private Timeline change(ServerApi api, Probe probe) throws IOException, InterruptedException, LatencyFailure {
        String target = STARTER.equals(probe.offer) ? BUSINESS : STARTER;
        String service = Provisioning.serviceName(probe.serial());
        JsonNode quote = api.get("/1.0/order/overTheBox/" + service + "/migrate" + ServerApi.query("offer", target));
        List<String> contracts = new ArrayList<>();
        quote.path("contracts").forEach(c -> contracts.add(c.path("name").asText()));
        JsonNode order = api.post("/1.0/overTheBox/" + service + "/migration/changeOffers",
                ServerApi.body("offer", target, "acceptedContracts", contracts));
        long orderId = order.path("orderId").asLong();
        Attempt attempt = new Attempt(target);
        probe.attempt = attempt;
        long paySent = System.nanoTime();
        JsonNode paid = api.post("/1.0/me/order/" + orderId + "/pay", ServerApi.body("paymentId", "pay-" + orderId));
        long answered = System.nanoTime();
        if (!"done".equals(paid.path("migration").path("state").asText())) {
            throw new LatencyFailure("order " + orderId + " paid, but its migration is "
                    + paid.path("migration").path("state").asText() + ", not done", null);
        }
        await(attempt.done, probe.serial() + " applies and gets the confirm of " + target + " (order " + orderId + ")");
        probe.offer = target;
        return new Timeline(probe.box.model(), paySent, answered, attempt.committed, attempt.pushed, attempt.shaped,
                attempt.applied, attempt.confirmed);
    }

    /** Notes when the server's change commits: its after-commit hook calls the notifier, which we pass on. */
    private static void watchCommits(ProvisioningServer server, Map<String, Probe> probes) {
        AgentGateway gateway = server.gateway();
        server.context().engine().notifier(new DeviceNotifier() {
            @Override
            public void deviceChanged(String deviceId) {
                Probe probe = probes.get(deviceId);
                if (probe != null) {
                    probe.committed();
                }
                gateway.deviceChanged(deviceId);
            }

            @Override
            public void deviceRevoked(String deviceId) {
                gateway.deviceRevoked(deviceId);
            }
        });
    }

    private void register(ServerApi api, Probe probe) throws IOException, InterruptedException {
        api.post("/1.0/admin/devices", ServerApi.body("serial", probe.serial(), "model", probe.box.model().wireName()));
        api.post("/1.0/admin/services", ServerApi.body("serviceName", Provisioning.serviceName(probe.serial()),
                "account", "latency-bench", "offer", STARTER, "serviceIp", probe.serviceIp, "deviceId", probe.serial()));
    }

    private Agent agent(EmbeddedServer server, Probe probe, ClientTls tls, EventLoopGroup group,
                        SplittableRandom random) throws LatencyFailure {
        StateStore store;
        if (settings.agentStateOnDisk()) {
            Path folder = workDir.resolve("agents").resolve(probe.serial());
            try {
                Files.createDirectories(folder);
            } catch (IOException e) {
                throw new LatencyFailure("cannot make the agent's state folder " + folder + ": " + e.getMessage(), e);
            }
            store = StateStore.directory(folder);
        } else {
            store = StateStore.inMemory();
        }
        try {
            return Agent.builder()
                    .servers(List.of(server.agentAddress()))
                    .credentials(server.pki().deviceCredentialsInMemory(probe.serial(), new SecureRandom()))
                    .tls(tls)
                    .backend(probe)
                    .stateStore(store)
                    .eventLoopGroup(group)
                    .clock(clock)
                    .random(random)
                    .listener(probe)
                    .settings(AgentSettings.defaults().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5)))
                    .agentVersion("latency-bench")
                    .build();
        } catch (PkiException e) {
            throw new LatencyFailure("cannot issue " + probe.serial() + "'s certificate: " + e.getMessage(), e);
        }
    }

    private void await(CompletableFuture<?> event, String what) throws LatencyFailure, InterruptedException {
        try {
            event.get(settings.sampleDeadline().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new LatencyFailure("waited " + settings.sampleDeadline().toMillis() + " ms for: " + what, e);
        } catch (ExecutionException e) {
            throw new LatencyFailure(what + " failed: " + e.getCause(), e.getCause());
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private void say(String format, Object... args) {
        out.printf("[%6.1fs] %s%n", (System.nanoTime() - start) / 1e9, String.format(format, args));
    }

    /** The instants of the change in progress; each is written once, from whichever thread sees it. */
    private static final class Attempt {
        final String offer;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile long committed;
        volatile long pushed;
        volatile long shaped;
        volatile long applied;
        volatile long generation;
        volatile long confirmed;

        Attempt(String offer) {
            this.offer = offer;
        }
    }

    /**
     * One box under watch: the backend its agent drives (passing every call on to the simulated box), the box's
     * listener and the agent's listener, so that each step of a change is timed where it happens.
     */
    private static final class Probe implements DeviceBackend, BoxListener, AgentListener {

        final SimulatedBox box;
        final String serviceIp;
        final CompletableFuture<Void> firstConfirm = new CompletableFuture<>();
        volatile Attempt attempt;
        volatile String offer = STARTER;

        Probe(String serial, BoxModel model, ScheduledExecutorService scheduler, Clock clock, String serviceIp) {
            this.box = new SimulatedBox(serial, model, "sim-1.0", scheduler, clock, new Faults(), this);
            this.serviceIp = serviceIp;
        }

        String serial() {
            return box.serial();
        }

        void committed() {
            Attempt a = attempt;
            if (a != null && a.committed == 0) {
                a.committed = System.nanoTime();
            }
        }

        @Override
        public CompletionStage<Void> apply(BandwidthProfile profile) {
            Attempt a = attempt;
            if (a != null && a.pushed == 0 && a.offer.equals(profile.offer())) {
                a.pushed = System.nanoTime();
            }
            return box.apply(profile);
        }

        @Override
        public CompletionStage<Void> clear() {
            return box.clear();
        }

        @Override
        public DeviceDescription describe() {
            return box.describe();
        }

        @Override
        public void applied(SimulatedBox simulated, BandwidthProfile profile) {
            Attempt a = attempt;
            if (a != null && a.shaped == 0 && a.offer.equals(profile.offer())) {
                a.shaped = System.nanoTime();
            }
        }

        @Override
        public void profileApplied(BandwidthProfile profile) {
            Attempt a = attempt;
            if (a != null && a.applied == 0 && a.offer.equals(profile.offer())) {
                a.generation = profile.generation();
                a.applied = System.nanoTime();
            }
        }

        @Override
        public void confirmed(long generation) {
            firstConfirm.complete(null);
            Attempt a = attempt;
            if (a != null && a.applied != 0 && a.confirmed == 0 && a.generation == generation) {
                a.confirmed = System.nanoTime();
                a.done.complete(null);
            }
        }

        @Override
        public String toString() {
            return box.serial() + " (" + box.model().wireName() + ", " + box.model().applyMillis() + " ms shaper)";
        }
    }
}
