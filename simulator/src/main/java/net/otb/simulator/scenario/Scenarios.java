package net.otb.simulator.scenario;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import net.otb.agent.ServerAddress;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.LinkCutter;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;

/**
 * The failure scenarios. Each starts an embedded server and a fleet whose boxes all reach it through one
 * {@link LinkCutter}, brings every box to {@code starter.v1}, plays its failure, and returns a verdict.
 */
public final class Scenarios implements AutoCloseable {

    /** The scenarios by command-line name. */
    public enum Name {
        RECONNECT_STORM("reconnect-storm", "every link drops at once; every box reconnects and stays in sync"),
        SERVER_RESTART("server-restart", "a bulk change, the server restarted at once; every box converges"),
        CUT_LINKS("cut-links", "links cut while the offer changes; boxes keep their shaping, then converge"),
        APPLY_FAILURES("apply-failures", "refused, slow and crashing applies during a bulk change");

        private final String cli;
        private final String description;

        Name(String cli, String description) {
            this.cli = cli;
            this.description = description;
        }

        public String cli() {
            return cli;
        }

        public String description() {
            return description;
        }

        /** @throws IllegalArgumentException listing the names */
        public static Name parse(String value) {
            for (Name name : values()) {
                if (name.cli.equals(value)) {
                    return name;
                }
            }
            List<String> names = new ArrayList<>();
            for (Name name : values()) {
                names.add(name.cli);
            }
            throw new IllegalArgumentException("unknown scenario '" + value + "'; choose one of " + names);
        }
    }

    /** What a scenario concluded: passed or not, and why, in one sentence per finding. */
    public record Verdict(boolean passed, List<String> findings) {
        public Verdict {
            findings = List.copyOf(findings);
        }
    }

    private static final String FROM = "starter.v1";
    private static final String TO = "business.v1";

    private final PrintStream out;
    private final int devices;
    private final Duration deadline;
    private final long start = System.nanoTime();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private EmbeddedServer server;
    private ServerApi api;
    private LinkCutter cutter;
    private Fleet fleet;

    public Scenarios(PrintStream out, int devices, Duration deadline) {
        this.out = out;
        this.devices = devices;
        this.deadline = deadline;
    }

    private void say(String format, Object... args) {
        out.printf("[%6.1fs] %s%n", (System.nanoTime() - start) / 1e9, String.format(format, args));
    }

    /**
     * Plays {@code name} in the scratch folder {@code work}.
     *
     * @throws Exception when the lab itself cannot be set up (the scenario's own failures are in the verdict)
     */
    public Verdict play(Name name, Path work, TlsProvider tls) throws Exception {
        say("scenario %s: %s", name.cli(), name.description());
        server = EmbeddedServer.start(work.resolve("server"), tls, Clock.systemUTC(), new EmbeddedServer.Timings(10, 3, 2, 1));
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(30));
        cutter = LinkCutter.start(group, new InetSocketAddress("127.0.0.1", 0),
                new InetSocketAddress("127.0.0.1", server.agentAddress().port()));
        fleet = Fleet.build(FleetConfig.of(devices, tls), server.issuer(), ClientTls.of(server.anchors(), tls),
                List.of(new ServerAddress("127.0.0.1", cutter.address().getPort())), group, Clock.systemUTC(), 1,
                new Counter());
        new Provisioning(api, 16).registerAll(fleet.devices(), FROM, done -> { });
        say("server on %s (%s); %d boxes connect through a link cutter on %s", server.agentAddress(),
                server.tlsProviderName(), devices, cutter.address());
        fleet.start();
        if (!reached(() -> fleet.confirmedOn(FROM) == devices)) {
            return new Verdict(false, List.of("the fleet did not come up: " + fleet.confirmedOn(FROM) + "/" + devices
                    + " boxes on " + FROM));
        }
        say("all %d boxes connected and on %s", devices, FROM);
        return switch (name) {
            case RECONNECT_STORM -> reconnectStorm();
            case SERVER_RESTART -> serverRestart();
            case CUT_LINKS -> cutLinks();
            case APPLY_FAILURES -> applyFailures();
        };
    }

    private Verdict reconnectStorm() throws Exception {
        int sessionsBefore = fleet.devices().stream().mapToInt(SimulatedDevice::sessions).sum();
        long t = System.nanoTime();
        cutter.drop();
        say("dropped every link at once");
        boolean back = reached(() -> fleet.devices().stream().mapToInt(SimulatedDevice::sessions).sum()
                >= sessionsBefore + devices && fleet.connected() == devices);
        double seconds = (System.nanoTime() - t) / 1e9;
        say("%d/%d boxes back in %.1f s", fleet.connected(), devices, seconds);
        changeAll(TO);
        boolean converged = reached(() -> fleet.confirmedOn(TO) == devices);
        List<String> findings = new ArrayList<>();
        findings.add(String.format("%d/%d boxes reconnected within %.1f s of the drop", fleet.connected(), devices, seconds));
        findings.add(String.format("after the storm, a bulk change reached %d/%d boxes", fleet.confirmedOn(TO), devices));
        return new Verdict(back && converged, findings);
    }

    private Verdict serverRestart() throws Exception {
        changeAll(TO);
        server.stop(false);
        int before = fleet.confirmedOn(TO);
        say("bulk change to %s committed; server stopped at once (%d boxes had it confirmed)", TO, before);
        long t = System.nanoTime();
        server.start();
        say("server restarted on the same data");
        boolean converged = reached(() -> fleet.confirmedOn(TO) == devices && fleet.connected() == devices);
        double seconds = (System.nanoTime() - t) / 1e9;
        int lost = devices - fleet.confirmedOn(TO);
        return new Verdict(converged && lost == 0, List.of(
                String.format("%d/%d boxes reconnected and confirmed %s %.1f s after the restart", fleet.confirmedOn(TO),
                        devices, TO, seconds),
                "committed changes lost: " + lost));
    }

    private Verdict cutLinks() throws Exception {
        cutter.cut();
        reached(() -> fleet.connected() == 0);
        say("every link cut (%d refused reconnects so far)", cutter.refused());
        changeAll(TO);
        say("offer changed to %s for every service while the boxes are unreachable", TO);
        int keptOld = (int) fleet.devices().stream().filter(d -> shapes(d, FROM)).count();
        int refusedBefore = (int) cutter.refused();
        reached(() -> cutter.refused() >= refusedBefore + devices);
        cutter.restore();
        long t = System.nanoTime();
        say("links restored");
        boolean converged = reached(() -> fleet.confirmedOn(TO) == devices);
        double seconds = (System.nanoTime() - t) / 1e9;
        return new Verdict(converged && keptOld == devices, List.of(
                String.format("%d/%d boxes kept shaping %s while cut off", keptOld, devices, FROM),
                String.format("%d/%d boxes confirmed %s %.1f s after the links came back", fleet.confirmedOn(TO), devices,
                        TO, seconds)));
    }

    private Verdict applyFailures() throws Exception {
        List<SimulatedDevice> refusing = new ArrayList<>();
        List<SimulatedDevice> slow = new ArrayList<>();
        List<SimulatedDevice> crashing = new ArrayList<>();
        for (SimulatedDevice device : fleet.devices()) {
            switch (device.index() % 10) {
                case 0 -> {
                    device.box().faults().rejectEveryApply("tc: RTNETLINK answers: No space left on device");
                    refusing.add(device);
                }
                case 1 -> {
                    device.box().faults().slowApplies(Duration.ofMillis(1_500));
                    slow.add(device);
                }
                case 2 -> {
                    device.box().faults().crashOnNextApply();
                    crashing.add(device);
                }
                default -> {
                }
            }
        }
        say("faults: %d boxes refuse applies, %d apply slowly (+1.5 s), %d crash during their next apply",
                refusing.size(), slow.size(), crashing.size());
        changeAll(TO);
        reached(() -> crashing.stream().allMatch(d -> !d.box().isPowered()));
        say("%d boxes crashed; powering them back on", crashing.stream().filter(d -> !d.box().isPowered()).count());
        crashing.forEach(SimulatedDevice::start);
        boolean healthyConverged = reached(() -> fleet.devices().stream()
                .filter(d -> !refusing.contains(d)).allMatch(d -> confirmed(d, TO)));
        boolean refusalsReported = reached(() -> refusing.stream().allMatch(d -> d.rejections() > 0));
        boolean refusingKeptOld = refusing.stream().allMatch(d -> shapes(d, FROM));
        long healthy = fleet.devices().stream().filter(d -> !refusing.contains(d) && confirmed(d, TO)).count();
        return new Verdict(healthyConverged && refusalsReported && refusingKeptOld, List.of(
                String.format("%d/%d refusing boxes reported 'rejected' and kept %s", refusing.stream()
                        .filter(d -> d.rejections() > 0 && shapes(d, FROM)).count(), refusing.size(), FROM),
                String.format("%d/%d crashed boxes restarted on their saved profile and converged", crashing.stream()
                        .filter(d -> confirmed(d, TO)).count(), crashing.size()),
                String.format("%d/%d other boxes (slow ones included) confirmed %s", healthy,
                        devices - refusing.size(), TO)));
    }

    private void changeAll(String offer) {
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (SimulatedDevice device : fleet.devices()) {
            calls.add(api.postAsync("/1.0/admin/services/" + Provisioning.serviceName(device) + "/desiredOffer",
                    ServerApi.body("offer", offer)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    }

    private static boolean shapes(SimulatedDevice device, String offer) {
        BandwidthProfile inForce = device.box().inForce();
        return inForce != null && inForce.offer().equals(offer);
    }

    private static boolean confirmed(SimulatedDevice device, String offer) {
        BandwidthProfile confirmed = device.confirmedProfile();
        return confirmed != null && confirmed.offer().equals(offer) && shapes(device, offer);
    }

    private boolean reached(BooleanSupplier condition) throws InterruptedException {
        try {
            fleet.awaitUntil(condition, deadline).get(deadline.toSeconds() + 5, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (fleet != null) {
            fleet.close();
        }
        if (cutter != null) {
            cutter.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Prints the boxes' rejections and rollbacks as they happen (a few, not thousands). */
    private final class Counter implements FleetListener {
        private final java.util.concurrent.atomic.AtomicInteger printed = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void rejected(SimulatedDevice device, long generation, String detail) {
            if (printed.incrementAndGet() <= 5) {
                say("  %s rejected generation %d: %s", device.serial(), generation, detail);
            }
        }

        @Override
        public void rolledBack(SimulatedDevice device, long generation) {
            if (printed.incrementAndGet() <= 5) {
                say("  %s rolled back generation %d (no confirm in time)", device.serial(), generation);
            }
        }
    }
}
