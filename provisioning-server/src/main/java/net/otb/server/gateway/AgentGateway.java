package net.otb.server.gateway;

import io.netty.bootstrap.ServerBootstrap;
import net.otb.protocol.logging.LogFields;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.codec.Disconnector;
import net.otb.server.desired.AgentService;
import net.otb.server.desired.DeviceNotifier;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mTLS server boxes connect to. It keeps one session per box, runs each box's store work on that box's
 * stripe (committed in groups: see {@link StoreWriter}), and reconciles a box when its desired state changes, at its hello, and from a periodic sweep
 * that re-sends pushes left unanswered. Implements {@link DeviceNotifier} for the desired-state engine.
 */
public final class AgentGateway implements DeviceNotifier, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentGateway.class);

    private final GatewayConfig config;
    private final SslContext sslContext;
    private final AgentService service;
    private final Metrics metrics;
    private final RandomGenerator random;
    private final SessionRegistry registry = new SessionRegistry();
    private final ConnectionLimiter limiter;
    private final UnverifiedConnections unverified;
    private final java.util.concurrent.atomic.AtomicBoolean acceptPaused = new java.util.concurrent.atomic.AtomicBoolean();
    private final StoreWriter stripes;
    private final ScheduledExecutorService sweeper;
    private final PeerCheck peerCheck;
    private Channel serverChannel;
    private long sweeps;

    /** How often a paused accept loop looks again whether it may accept. */
    static final long PAUSE_CHECK_MILLIS = 100;

    /** Every how many sweeps the due pushes are read from the store rather than from memory. */
    static final int STORE_SWEEP_EVERY = 6;

    public AgentGateway(GatewayConfig config, SslContext sslContext, AgentService service, Metrics metrics, Clock clock,
                        RandomGenerator random) {
        this(config, sslContext, PeerCheck.NONE, service, metrics, clock, random);
    }

    /**
     * @param peerCheck checks every established session's certificate before the box may say hello; needed when
     *        {@code sslContext} issues session tickets (a resumed session skips its trust manager)
     */
    public AgentGateway(GatewayConfig config, SslContext sslContext, PeerCheck peerCheck, AgentService service,
                        Metrics metrics, Clock clock, RandomGenerator random) {
        this.peerCheck = peerCheck;
        this.config = config;
        this.sslContext = sslContext;
        this.service = service;
        this.metrics = metrics;
        this.random = random;
        this.limiter = new ConnectionLimiter(config.perSourceRate(), config.perSourceBurst(), config.maxSessions(),
                clock, random);
        this.unverified = new UnverifiedConnections(config.unverifiedPerSource(), config.unverifiedTotal(), clock);
        this.stripes = new StoreWriter(service.database(), config.dbStripes(), new StoreWriter.GroupHook() {
            @Override
            public void beforeGroup(Tx tx, List<String> keys) throws SQLException {
                service.preload(tx, keys);
            }

            @Override
            public void forget(String key) {
                service.forget(key);
            }
        });
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "otb-gateway-sweep");
            t.setDaemon(true);
            return t;
        });
        metrics.gauge("otb_sessions", "agent sessions open on this instance (hello accepted)", registry::size);
        metrics.gauge("otb_agent_connections", "agent TCP connections open, sessions or not", limiter::openConnections);
        metrics.gauge("otb_setups_in_flight", "session set-ups admitted and not yet committed (connect to hello)",
                () -> limiter.setups().inFlight());
        metrics.gauge("otb_setup_rate_per_second", "session set-ups this server completes per second, as measured;"
                + " paces retryAfter in a storm", () -> Math.round(limiter.setups().ratePerSecond()));
        metrics.gauge("otb_unverified_connections", "agent connections in TLS set-up (no valid certificate shown yet)",
                unverified::size);
        metrics.gauge("otb_accept_paused", "1 while the gateway accepts no connection (set-ups in flight at their bound)",
                () -> acceptPaused.get() ? 1 : 0);
        metrics.gauge("otb_boxes_in_memory", "boxes whose state the gateway's stripes hold in memory",
                service::boxesHeld);
        metrics.gauge("otb_setups_limit", "session set-ups allowed in flight (the measured rate x 2 s, 256 at least)",
                () -> limiter.setups().limit());
    }

    /**
     * Binds the agent port and starts the sweep.
     *
     * @return the bound address
     * @throws InterruptedException when interrupted while binding
     */
    public InetSocketAddress start(EventLoopGroup boss, EventLoopGroup workers) throws InterruptedException {
        serverChannel = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new AgentChannelInitializer(sslContext, this))
                .bind(config.host(), config.port()).sync().channel();
        sweeper.scheduleWithFixedDelay(this::sweep, config.sweepSeconds(), config.sweepSeconds(), TimeUnit.SECONDS);
        InetSocketAddress address = (InetSocketAddress) serverChannel.localAddress();
        LOG.info("event=gateway.listening address={}", address);
        return address;
    }

    public SessionRegistry registry() {
        return registry;
    }

    /**
     * The box's desired state changed (committed): its state in memory is read again, in its stripe's order (after
     * whatever its session queued before), and its session here is reconciled.
     */
    @Override
    public void deviceChanged(String deviceId) {
        Channel channel = registry.get(deviceId);
        if (channel != null) {
            reconcile(deviceId, channel, AgentService.Trigger.CHANGE, true);
        } else {
            forget(deviceId);
        }
    }

    /** Drops the box's state in memory, in its stripe's order. */
    private void forget(String deviceId) {
        stripes.submit(deviceId, new StoreWriter.StoreTask<Void>() {
            @Override
            public Void run(Tx tx) {
                return null;
            }

            @Override
            public void committed(Void result) {
            }

            @Override
            public void failed(RuntimeException e) {
                LOG.debug("{}: not forgotten: {}", deviceId, e.toString());
            }
        }, true);
    }

    /**
     * The box's session moved to another instance with fencing {@code token}: an older session here ends with
     * {@code superseded} (newest session wins across instances).
     */
    public void sessionTakenElsewhere(String deviceId, String instance, long token) {
        forget(deviceId);
        Channel channel = registry.get(deviceId);
        if (channel != null && AgentSessionHandler.token(channel) < token) {
            registry.remove(deviceId, channel);
            Disconnector.disconnect(channel, LOG, deviceId, ErrorCode.SUPERSEDED,
                    "a newer session of this box (token " + token + " on instance " + instance + ") took over");
        }
    }

    /**
     * Certificates were revoked outside this server (the PKI tool wrote the revocation list): the sessions opened with
     * them end now; new handshakes with them are refused by the trust manager, which reads the same list.
     */
    public void closeRevokedCertificates(java.util.Set<String> serials) {
        registry.forEach((deviceId, channel) -> {
            String serial = channel.attr(ChannelAttributes.CERTIFICATE_SERIAL).get();
            if (serial != null && serials.contains(serial.toLowerCase(java.util.Locale.ROOT))) {
                registry.remove(deviceId, channel);
                Disconnector.disconnect(channel, LOG, deviceId, ErrorCode.FORBIDDEN, "the box's certificate was revoked");
            }
        });
    }

    /** This instance lost its lease (paused past it): every session here may be stale, so all end. */
    public void leaseLost() {
        registry.closeAll(ErrorCode.SUPERSEDED, "this server instance lost its lease; connect again");
        service.forgetAll();
    }

    /** Runs the sweep now (after missed notifications: a listener that reconnected). */
    public void sweepSoon() {
        try {
            // announcements may have been lost: what memory holds of any box may be stale, and the store says which
            // boxes have pushes due
            sweeper.execute(() -> sweep(true));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("no sweep: the gateway is closing");
        }
    }

    @Override
    public void deviceRevoked(String deviceId) {
        forget(deviceId);
        Channel channel = registry.get(deviceId);
        if (channel != null) {
            registry.remove(deviceId, channel);
            Disconnector.disconnect(channel, LOG, deviceId, ErrorCode.FORBIDDEN, "the box was revoked");
        }
    }

    /** Stops accepting, tells every box {@code shutdown}, and stops the store threads. */
    @Override
    public void close() {
        sweeper.shutdownNow();
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        registry.closeAll(ErrorCode.SHUTDOWN, "the server is stopping");
        stripes.close();
    }

    PeerCheck peerCheck() {
        return peerCheck;
    }

    GatewayConfig config() {
        return config;
    }

    AgentService service() {
        return service;
    }

    Metrics metrics() {
        return metrics;
    }

    ConnectionLimiter limiter() {
        return limiter;
    }

    UnverifiedConnections unverified() {
        return unverified;
    }

    /**
     * A set-up began or ended, or a connection was accepted or closed: the gateway stops accepting while the set-ups
     * in flight fill their bound or the connections in TLS set-up fill theirs (all still within their grace), and
     * accepts again once neither does. While it is paused the check runs again every {@link #PAUSE_CHECK_MILLIS}
     * (an unverified connection's grace runs out with time alone).
     */
    void admissionChanged() {
        Channel server = serverChannel;
        if (server == null) {
            return;
        }
        boolean pause = limiter.setups().full() || unverified.saturated();
        if (pause) {
            if (acceptPaused.compareAndSet(false, true)) {
                server.config().setAutoRead(false);
                LOG.debug("accepting paused: {} set-ups in flight (bound {}), {} connections in TLS set-up",
                        limiter.setups().inFlight(), limiter.setups().limit(), unverified.size());
                server.eventLoop().schedule(this::recheckPause, PAUSE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
        } else if (acceptPaused.compareAndSet(true, false)) {
            server.config().setAutoRead(true);
            LOG.debug("accepting again");
        }
    }

    private void recheckPause() {
        if (!acceptPaused.get()) {
            return;
        }
        Channel server = serverChannel;
        if (server == null || !server.isOpen()) {
            return;
        }
        if (limiter.setups().full() || unverified.saturated()) {
            server.eventLoop().schedule(this::recheckPause, PAUSE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        } else if (acceptPaused.compareAndSet(true, false)) {
            server.config().setAutoRead(true);
        }
    }

    String newSessionId() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    boolean executeForDevice(String deviceId, Runnable work) {
        return stripes.execute(deviceId, work);
    }

    /** Queues a box's store work, committed together with other boxes' work on the same stripe. */
    <T> boolean submitForDevice(String deviceId, StoreWriter.StoreTask<T> task) {
        return stripes.submit(deviceId, task);
    }

    /**
     * Records that a box's session ended (its row: held nowhere), after whatever its session queued before; a
     * refusal while stopping is fine: the instance's row goes, and with it the claim that it holds the box.
     */
    void sessionClosed(String deviceId, long token) {
        submitForDevice(deviceId, new StoreWriter.StoreTask<Boolean>() {
            @Override
            public Boolean run(Tx tx) throws SQLException {
                if (registry.get(deviceId) != null) {
                    // a newer session of the box is open here already: it holds the box
                    return false;
                }
                return service.sessionClosed(tx, deviceId, token);
            }

            @Override
            public void committed(Boolean released) {
            }

            @Override
            public void failed(RuntimeException e) {
                LOG.debug("event=session.release_failed device={} error={}", deviceId, LogFields.value(e.toString()));
            }
        });
    }

    /** Sends the box what the store says it must get now, if this channel is still its session. */
    void reconcile(String deviceId, Channel channel, AgentService.Trigger trigger) {
        reconcile(deviceId, channel, trigger, false);
    }

    /** @param reload read the box's state from the store first (another writer changed it) */
    private void reconcile(String deviceId, Channel channel, AgentService.Trigger trigger, boolean reload) {
        stripes.submit(deviceId, new StoreWriter.StoreTask<AgentService.Reply>() {
            @Override
            public AgentService.Reply run(Tx tx) throws SQLException {
                if (registry.get(deviceId) != channel || !channel.isActive()) {
                    return null;
                }
                return service.reconcile(tx, deviceId, AgentSessionHandler.token(channel), trigger);
            }

            @Override
            public void committed(AgentService.Reply reply) {
                if (reply != null) {
                    AgentSessionHandler.send(channel, reply, AgentGateway.this, deviceId);
                }
            }

            @Override
            public void failed(RuntimeException e) {
                // the store stays the truth: the sweep or the next hello tries again
                LOG.warn("event=session.reconcile_failed device={} peer={} error={}", deviceId, channel.remoteAddress(),
                        LogFields.value(e.toString()));
            }
        }, reload);
    }

    /**
     * The decommission is written: the session ends. Nothing is written to the store here; the box was recorded
     * told in the transaction that sent it (a decommissioned box is told again at each hello).
     */
    void decommissionWritten(String deviceId, Channel channel) {
        LOG.info("event=session.decommissioned device={} peer={}", deviceId, channel.remoteAddress());
        registry.remove(deviceId, channel);
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, Disconnector.CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        // from memory at every sweep; from the store (every box's tasks) at every STORE_SWEEP_EVERY-th, the safety net
        // for a change this instance was never told of
        sweep(++sweeps % STORE_SWEEP_EVERY == 0);
    }

    /**
     * @param fromStore find the due pushes in the store rather than in memory; each box found is read again from the
     *        store before it is reconciled, since a box due there and not in memory is one whose change was missed
     */
    private void sweep(boolean fromStore) {
        try {
            limiter.purge();
            service.flushSeen();
            if (registry.size() == 0) {
                return;
            }
            List<String> due = fromStore ? service.devicesDueInStore() : service.devicesDue();
            for (String deviceId : due) {
                Channel channel = registry.get(deviceId);
                if (channel != null) {
                    reconcile(deviceId, channel, AgentService.Trigger.SWEEP, fromStore);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("event=gateway.sweep_failed error={}", LogFields.value(e.toString()));
        }
    }
}
