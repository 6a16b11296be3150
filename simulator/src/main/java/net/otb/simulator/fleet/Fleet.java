package net.otb.simulator.fleet;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import net.otb.agent.Agent;
import net.otb.agent.ServerAddress;
import net.otb.agent.state.StateStore;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.PkiException;
import net.otb.simulator.hardware.BoxListener;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.hardware.Faults;
import net.otb.simulator.hardware.SimulatedBox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N real agents over simulated boxes in one JVM, sharing one event-loop group and one {@link ClientTls}
 * (so the trust manager is built once); each box has its own key, certificate and saved state.
 *
 * <p>The fleet ramps up with at most {@link FleetConfig#maxConnecting()} handshakes in flight, as a real
 * fleet powering on over minutes would, rather than as a synthetic SYN flood.
 */
public final class Fleet implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);

    private final FleetConfig config;
    private final EventLoopGroup group;
    private final List<SimulatedDevice> devices;
    private final Map<String, SimulatedDevice> bySerial;
    private final AtomicInteger connectedNow = new AtomicInteger();
    private final Duration credentialsTime;
    private final String tlsProviderName;

    private Fleet(FleetConfig config, EventLoopGroup group, List<SimulatedDevice> devices, Duration credentialsTime,
                  String tlsProviderName) {
        this.config = config;
        this.group = group;
        this.devices = Collections.unmodifiableList(devices);
        Map<String, SimulatedDevice> map = new ConcurrentHashMap<>();
        devices.forEach(d -> map.put(d.serial(), d));
        this.bySerial = map;
        this.credentialsTime = credentialsTime;
        this.tlsProviderName = tlsProviderName;
    }

    /**
     * Builds the fleet: issues every box's credentials (in parallel over the cores: about 1.5 ms of CPU each),
     * makes its box and, lazily at start, its agent. Nothing connects yet.
     *
     * @param servers where the agents connect (the server, or a {@link LinkCutter} in front of it)
     * @param seed the root of every box's jitter, so a run can be replayed
     * @throws PkiException when a certificate cannot be issued
     */
    public static Fleet build(FleetConfig config, CredentialIssuer issuer, ClientTls tls, List<ServerAddress> servers,
                              EventLoopGroup group, Clock clock, long seed, FleetListener listener)
            throws PkiException {
        return build(config, issuer, tls, offset -> servers, group, clock, seed, listener);
    }

    /**
     * Like {@link #build(FleetConfig, CredentialIssuer, ClientTls, List, EventLoopGroup, Clock, long, FleetListener)},
     * with each box's servers chosen by its offset in the fleet: a box whose link a test cuts alone goes through
     * a {@link LinkCutter} of its own.
     */
    public static Fleet build(FleetConfig config, CredentialIssuer issuer, ClientTls tls,
                              IntFunction<List<ServerAddress>> serversFor, EventLoopGroup group, Clock clock, long seed,
                              FleetListener listener) throws PkiException {
        long start = System.nanoTime();
        Credentials[] credentials = issueAll(config, issuer);
        Duration issuing = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("issued {} box certificates in {} ms", config.devices(), issuing.toMillis());

        SplittableRandom root = new SplittableRandom(seed);
        List<SimulatedDevice> devices = new ArrayList<>(config.devices());
        Fleet[] self = new Fleet[1];
        FleetListener counting = new CountingListener(listener, () -> self[0]);
        for (int offset = 0; offset < config.devices(); offset++) {
            BoxModel model = config.modelAt(offset);
            String serial = config.serialAt(offset);
            SimulatedDevice[] holder = new SimulatedDevice[1];
            // Dealt here, once, round robin: a box and its agent share one loop. Left to the agent's own
            // group.next() at start, the choice interleaved with the ramp's timeouts on the same group and put
            // nearly every agent on one thread (the 64-session plateau after a restart in the bench).
            EventLoop loop = group.next();
            SimulatedBox box = new SimulatedBox(serial, model, config.firmware(), loop, clock, new Faults(),
                    new CrashToStop(holder));
            SplittableRandom random = root.split();
            StateStore store = stateStore(config.stateRoot(), serial);
            List<ServerAddress> servers = serversFor.apply(offset);
            holder[0] = new SimulatedDevice(config.firstIndex() + offset, box, credentials[offset], store, counting,
                    device -> Agent.builder()
                            .servers(servers)
                            .credentials(device.credentials())
                            .tls(tls)
                            .backend(device.box())
                            .stateStore(device.stateStore())
                            .eventLoopGroup(loop)
                            .clock(clock)
                            .random(random)
                            .listener(device)
                            .settings(config.settings())
                            .agentVersion("simulator")
                            .build());
            devices.add(holder[0]);
        }
        self[0] = new Fleet(config, group, devices, issuing, tls.providerName());
        return self[0];
    }

    private static Credentials[] issueAll(FleetConfig config, CredentialIssuer issuer) throws PkiException {
        Credentials[] credentials = new Credentials[config.devices()];
        ForkJoinPool pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
        try {
            pool.submit(() -> IntStream.range(0, config.devices()).parallel().forEach(offset -> {
                try {
                    credentials[offset] = issuer.issue(config.serialAt(offset), new SecureRandom());
                } catch (PkiException e) {
                    throw new IllegalStateException(e);
                }
            })).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PkiException("interrupted while issuing box certificates", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException && cause.getCause() instanceof PkiException pki) {
                throw pki;
            }
            throw new PkiException("cannot issue box certificates: " + cause, cause);
        } finally {
            pool.shutdown();
        }
        return credentials;
    }

    private static StateStore stateStore(Path root, String serial) {
        if (root == null) {
            return StateStore.inMemory();
        }
        Path directory = root.resolve(serial);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the state folder " + directory, e);
        }
        return StateStore.directory(directory);
    }

    /**
     * Starts every agent, at most {@code maxConnecting} handshaking at once: a slot frees when its box
     * connects or after the handshake timeout. Completes when every agent was started (not yet connected:
     * see {@link #awaitUntil}).
     */
    public CompletableFuture<Void> start() {
        CompletableFuture<Void> allStarted = new CompletableFuture<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        long slotTimeoutMillis = config.settings().handshakeTimeout().toMillis() * 2;
        Runnable[] launch = new Runnable[1];
        launch[0] = () -> {
            int offset = next.getAndIncrement();
            if (offset >= devices.size()) {
                return;
            }
            SimulatedDevice device = devices.get(offset);
            CompletableFuture<Void> slot = new CompletableFuture<>();
            ScheduledFuture<?> timeout = group.schedule(() -> slot.complete(null), slotTimeoutMillis,
                    TimeUnit.MILLISECONDS);
            ((CountingListener) device.fleetListener()).onFirstSession(device, slot);
            device.start().whenComplete((ok, failure) -> {
                if (failure != null) {
                    LOG.warn("{}: cannot start its agent: {}", device.serial(), failure.toString());
                    slot.complete(null);
                }
            });
            slot.whenComplete((ok, failure) -> {
                timeout.cancel(false);
                if (done.incrementAndGet() == devices.size()) {
                    allStarted.complete(null);
                }
                launch[0].run();
            });
        };
        for (int i = 0; i < Math.min(config.maxConnecting(), devices.size()); i++) {
            launch[0].run();
        }
        return allStarted;
    }

    /**
     * Completes when {@code condition} holds, checked every 20 ms on the fleet's group; fails with a
     * {@link java.util.concurrent.TimeoutException} after {@code deadline}.
     */
    public CompletableFuture<Void> awaitUntil(BooleanSupplier condition, Duration deadline) {
        CompletableFuture<Void> reached = new CompletableFuture<>();
        long end = System.nanoTime() + deadline.toNanos();
        ScheduledFuture<?> tick = group.scheduleAtFixedRate(() -> {
            if (reached.isDone()) {
                return;
            }
            if (condition.getAsBoolean()) {
                reached.complete(null);
            } else if (System.nanoTime() > end) {
                reached.completeExceptionally(new java.util.concurrent.TimeoutException(
                        "not reached within " + deadline.toSeconds() + " s"));
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
        reached.whenComplete((ok, failure) -> tick.cancel(false));
        return reached;
    }

    /** How many boxes hold a session now. */
    public int connected() {
        return connectedNow.get();
    }

    /** How many boxes enforce {@code offer} and had it confirmed by the server. */
    public int confirmedOn(String offer) {
        int count = 0;
        for (SimulatedDevice device : devices) {
            BandwidthProfile confirmed = device.confirmedProfile();
            if (confirmed != null && confirmed.offer().equals(offer)) {
                count++;
            }
        }
        return count;
    }

    /** Stops every agent; completes when all have stopped. */
    public CompletableFuture<Void> stop() {
        CompletableFuture<?>[] stops = devices.stream().map(d -> d.stop().toCompletableFuture())
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(stops);
    }

    @Override
    public void close() {
        try {
            stop().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("some agents did not stop cleanly: {}", e.toString());
        }
    }

    public List<SimulatedDevice> devices() {
        return devices;
    }

    public SimulatedDevice device(String serial) {
        return bySerial.get(serial);
    }

    public FleetConfig config() {
        return config;
    }

    public EventLoopGroup group() {
        return group;
    }

    /** How long issuing the fleet's certificates took. */
    public Duration credentialsTime() {
        return credentialsTime;
    }

    /** The agents' TLS engine, e.g. {@code boringssl (BoringSSL)}. */
    public String tlsProviderName() {
        return tlsProviderName;
    }

    /** A crashed box takes its agent down with it. */
    private static final class CrashToStop implements BoxListener {

        private final SimulatedDevice[] holder;

        CrashToStop(SimulatedDevice[] holder) {
            this.holder = holder;
        }

        @Override
        public CompletionStage<?> crashed(SimulatedBox box) {
            LOG.info("{}: box crashed; its agent dies with it", box.serial());
            return holder[0].stop();
        }
    }

    /** Keeps the fleet's session count and frees ramp slots, then tells the caller's listener. */
    static final class CountingListener implements FleetListener {

        private final FleetListener delegate;
        private final java.util.function.Supplier<Fleet> fleet;
        private final Map<SimulatedDevice, CompletableFuture<Void>> firstSession = new ConcurrentHashMap<>();

        CountingListener(FleetListener delegate, java.util.function.Supplier<Fleet> fleet) {
            this.delegate = delegate;
            this.fleet = fleet;
        }

        void onFirstSession(SimulatedDevice device, CompletableFuture<Void> slot) {
            firstSession.put(device, slot);
        }

        @Override
        public void connected(SimulatedDevice device) {
            fleet.get().connectedNow.incrementAndGet();
            CompletableFuture<Void> slot = firstSession.remove(device);
            if (slot != null) {
                slot.complete(null);
            }
            delegate.connected(device);
        }

        @Override
        public void disconnected(SimulatedDevice device, String reason) {
            fleet.get().connectedNow.decrementAndGet();
            delegate.disconnected(device, reason);
        }

        @Override
        public void applied(SimulatedDevice device, BandwidthProfile profile) {
            delegate.applied(device, profile);
        }

        @Override
        public void rejected(SimulatedDevice device, long generation, String detail) {
            delegate.rejected(device, generation, detail);
        }

        @Override
        public void rolledBack(SimulatedDevice device, long generation) {
            delegate.rolledBack(device, generation);
        }

        @Override
        public void confirmed(SimulatedDevice device, long generation) {
            delegate.confirmed(device, generation);
        }

        @Override
        public void retryAfter(SimulatedDevice device, int seconds) {
            delegate.retryAfter(device, seconds);
        }

        @Override
        public void decommissioned(SimulatedDevice device, String reason) {
            delegate.decommissioned(device, reason);
        }
    }
}
