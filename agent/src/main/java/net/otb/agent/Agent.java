package net.otb.agent;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceDescription;
import net.otb.agent.session.AgentChannelInitializer;
import net.otb.agent.session.Backoff;
import net.otb.agent.session.SessionHandler;
import net.otb.agent.session.SessionOwner;
import net.otb.agent.shaping.ProfileKeeper;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.agent.tls.ClientTls;
import net.otb.agent.tls.ClientTlsContext;
import net.otb.agent.tls.CredentialStore;
import net.otb.agent.tls.RenewedCertificates;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.LogSafe;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.ProtocolVersion;
import net.otb.protocol.Renew;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Csrs;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.tls.TlsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-box agent: keeps one mutual-TLS session to a provisioning server (servers tried in turn, reconnect with
 * exponential backoff and full jitter), applies what the server pushes through its {@link DeviceBackend} with
 * commit-confirmed rollback, keeps its state across restarts, and renews its certificate.
 *
 * <p>An agent owns no thread: it runs on one event loop of the group it is given (or of a one-thread group of its
 * own), so that thousands of agents can share a group in one JVM. Build one with {@link #builder()}.
 */
public final class Agent {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    private final String deviceId;
    private final List<ServerAddress> servers;
    private final CredentialStore credentials;
    private final ClientTls tls;
    private final DeviceBackend backend;
    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final EventLoop loop;
    private final Clock clock;
    private final AgentSettings settings;
    private final AgentListener listener;
    private final String agentVersion;
    private final Backoff backoff;
    private final ProfileKeeper keeper;
    private final Owner owner = new Owner();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    // touched on the loop only
    private int nextServer;
    private SessionHandler session;
    private ScheduledFuture<?> reconnectTimer;
    private ClientTlsContext sslContext;
    private Credentials sslContextCredentials;
    private KeyPair renewalKey;
    private long welcomedAtMillis;
    private Long nextDelayOverride;
    private boolean stopping;

    private volatile AgentStatus.Phase phase = AgentStatus.Phase.STOPPED;
    private volatile String sessionId;

    private Agent(Builder b) {
        this.credentials = b.credentials;
        this.deviceId = b.deviceId != null ? b.deviceId : Certificates.commonName(credentials.current().leaf());
        this.servers = List.copyOf(b.servers);
        this.tls = b.tls;
        this.backend = b.backend;
        this.ownsGroup = b.group == null;
        this.group = ownsGroup ? new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()) : b.group;
        this.loop = group.next();
        this.clock = b.clock;
        this.settings = b.settings;
        this.listener = b.listener;
        this.agentVersion = b.agentVersion;
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), b.random);
        this.keeper = new ProfileKeeper(deviceId, backend, b.stateStore, loop, clock, settings.confirmCap(),
                settings.backendTimeout(), new KeeperEvents());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The box serial this agent speaks for: its certificate's CN unless set. */
    public String deviceId() {
        return deviceId;
    }

    /**
     * Loads the saved state, re-applies the saved profile to the backend, then connects. The returned stage
     * completes once the saved profile is back in force (the connection is then under way); it fails when the
     * saved state cannot be read. A decommissioned box does not connect.
     */
    public CompletionStage<Void> start() {
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.execute(() -> {
            if (phase != AgentStatus.Phase.STOPPED || stopping) {
                started.completeExceptionally(new IllegalStateException("the agent was already started"));
                return;
            }
            phase = AgentStatus.Phase.STARTING;
            CompletionStage<AgentState> restored;
            try {
                restored = keeper.start();
            } catch (IOException e) {
                LOG.error("{}: cannot read the saved state: {}", deviceId, e.getMessage());
                phase = AgentStatus.Phase.STOPPED;
                terminated.complete(null);
                started.completeExceptionally(e);
                return;
            }
            restored.whenComplete((state, failure) -> loop.execute(() -> {
                if (failure != null) {
                    started.completeExceptionally(failure);
                    return;
                }
                if (state.decommissioned() != null) {
                    LOG.info("{}: decommissioned earlier ({}); not connecting", deviceId, state.decommissioned());
                    phase = AgentStatus.Phase.DECOMMISSIONED;
                    terminated.complete(null);
                } else if (!stopping) {
                    connect();
                }
                started.complete(null);
            }));
        });
        return started;
    }

    /**
     * Closes the session and stops reconnecting; the shaping stays in force and the saved state as it is.
     * Releases the event-loop group only if the agent made it.
     */
    public CompletionStage<Void> stop() {
        if (terminated.isDone()) {
            // stopped already (a decommission ends the agent and its own loop): a later stop, e.g. the JVM's
            // shutdown hook, has nothing to do and must not be refused by the ended loop
            return terminated;
        }
        try {
            loop.execute(() -> shutdown(AgentStatus.Phase.STOPPED, "agent stopped"));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the agent's own loop is ending: the shutdown in progress completes terminated
        }
        return terminated;
    }

    /** Completes when the agent stopped: after {@link #stop()}, a decommission, or a start that failed. */
    public CompletionStage<Void> terminated() {
        return terminated;
    }

    /** A snapshot of the agent; any thread. */
    public AgentStatus status() {
        AgentState state = keeper.state();
        return new AgentStatus(deviceId, phase, sessionId, state.applied(), state.previous(),
                state.pending() == null ? null : state.pending().generation());
    }

    /** The certificate the next connection presents. */
    public X509Certificate certificate() {
        return credentials.current().leaf();
    }

    private void shutdown(AgentStatus.Phase finalPhase, String why) {
        if (stopping) {
            return;
        }
        stopping = true;
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
        }
        keeper.close();
        phase = finalPhase;
        sessionId = null;
        Runnable finish = () -> {
            if (ownsGroup) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).addListener(f -> terminated.complete(null));
            } else {
                terminated.complete(null);
            }
        };
        if (session != null) {
            SessionHandler closing = session;
            session = null;
            closing.close(why);
        }
        loop.execute(finish);
    }

    private void connect() {
        if (stopping) {
            return;
        }
        ServerAddress server = servers.get(nextServer);
        nextServer = (nextServer + 1) % servers.size();
        phase = AgentStatus.Phase.CONNECTING;
        ClientTlsContext context;
        try {
            context = sslContext();
        } catch (SSLException | RuntimeException e) {
            LOG.warn("{}: cannot make the TLS context: {}", deviceId, e.getMessage());
            scheduleReconnect("TLS context: " + e.getMessage());
            return;
        }
        SessionHandler handler = new SessionHandler(owner, server, settings.handshakeTimeout(),
                settings.heartbeatCap());
        session = handler;
        LOG.debug("{}: connecting to {}", deviceId, server);
        ChannelFuture connecting = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new AgentChannelInitializer(context, server, settings.handshakeTimeout(), handler))
                .connect(server.host(), server.port());
        connecting.addListener(f -> {
            if (!f.isSuccess() && session == handler) {
                String why = "cannot connect to " + server + ": " + f.cause().getMessage();
                LOG.info("{}: {}", deviceId, why);
                session = null;
                listener.disconnected(why);
                scheduleReconnect(why);
            }
        });
    }

    /** The TLS context for the current credentials; rebuilt only after a renewal. */
    private ClientTlsContext sslContext() throws SSLException {
        Credentials current = credentials.current();
        if (sslContext == null || sslContextCredentials != current) {
            sslContext = tls.contextFor(current);
            sslContextCredentials = current;
        }
        return sslContext;
    }

    private void scheduleReconnect(String why) {
        if (stopping) {
            return;
        }
        long delay;
        if (nextDelayOverride != null) {
            delay = nextDelayOverride;
            nextDelayOverride = null;
        } else {
            delay = backoff.nextDelayMillis();
        }
        phase = AgentStatus.Phase.WAITING;
        LOG.info("{}: reconnecting in {} ms ({})", deviceId, delay, why);
        reconnectTimer = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    }

    /** A {@code renew} when the certificate is inside its window and this session has not asked yet. */
    private Optional<Renew> renewalRequest() {
        if (renewalKey != null) {
            return Optional.empty();
        }
        X509Certificate leaf = credentials.current().leaf();
        long expiresIn = leaf.getNotAfter().getTime() - clock.millis();
        if (expiresIn > settings.renewalWindow().toMillis()) {
            return Optional.empty();
        }
        KeyPair fresh = KeyPairs.p256(new SecureRandom());
        renewalKey = fresh;
        LOG.info("{}: certificate expires in {} h; asking for a renewal", deviceId,
                Duration.ofMillis(expiresIn).toHours());
        return Optional.of(new Renew(Pem.write(Csrs.create(fresh, deviceId))));
    }

    private void onCertificate(String chainPem) {
        KeyPair key = renewalKey;
        if (key == null) {
            LOG.warn("{}: the server sent a certificate the agent did not ask for; ignoring it", deviceId);
            return;
        }
        Credentials renewed;
        try {
            renewed = RenewedCertificates.verify(chainPem, key, deviceId, tls.anchors(), clock);
        } catch (PkiException e) {
            LOG.warn("{}: refusing the renewed certificate: {}", deviceId, LogSafe.quote(e.getMessage()));
            return;
        }
        try {
            credentials.replace(renewed);
        } catch (IOException e) {
            LOG.warn("{}: cannot store the renewed certificate: {}; keeping the current one", deviceId,
                    e.getMessage());
            return;
        }
        renewalKey = null;
        LOG.info("{}: certificate renewed (serial {}, valid until {}); used from the next connection", deviceId,
                Certificates.serialHex(renewed.leaf()), renewed.leaf().getNotAfter().toInstant());
        listener.certificateRenewed(renewed.leaf());
    }

    /** The session's calls into the agent; all on the loop. */
    private final class Owner implements SessionOwner {

        @Override
        public String deviceId() {
            return deviceId;
        }

        @Override
        public Hello hello() {
            DeviceDescription description = backend.describe();
            return new Hello(ProtocolVersion.SUPPORTED, deviceId, description.model(), description.firmware(),
                    agentVersion, keeper.state().applied(), description.capabilities());
        }

        @Override
        public void welcomed(Welcome welcome) {
            // a renewal asked on an earlier session died with it: ask again on this one
            renewalKey = null;
            welcomedAtMillis = clock.millis();
            sessionId = welcome.sessionId();
            phase = AgentStatus.Phase.CONNECTED;
            listener.connected(welcome.sessionId());
        }

        @Override
        public CompletionStage<Applied> push(ProfilePush push) {
            return keeper.push(push);
        }

        @Override
        public void confirm(long generation) {
            keeper.confirm(generation);
        }

        @Override
        public Optional<Applied> pendingReport() {
            return keeper.unreportedRollback();
        }

        @Override
        public void reported(Applied report) {
            keeper.rollbackReported(report.generation());
        }

        @Override
        public Optional<Renew> renewal() {
            return renewalRequest();
        }

        @Override
        public void certificate(String chainPem) {
            onCertificate(chainPem);
        }

        @Override
        public void decommission(String reason) {
            LOG.info("{}: decommissioned by the server: {}", deviceId, LogSafe.quote(reason));
            keeper.decommission(reason).whenComplete((ok, failure) -> loop.execute(() -> {
                listener.decommissioned(reason);
                shutdown(AgentStatus.Phase.DECOMMISSIONED, "decommissioned: " + reason);
            }));
        }

        @Override
        public void retryAfter(int seconds) {
            nextDelayOverride = backoff.atLeast(TimeUnit.SECONDS.toMillis(seconds));
            listener.retryAfter(seconds);
        }

        @Override
        public void serverError(ErrorMessage error) {
            if (ErrorCode.SUPERSEDED.wire().equals(error.code())) {
                // another session of this box won; coming straight back would fight it
                nextDelayOverride = backoff.longDelayMillis();
            }
        }

        @Override
        public void disconnected(String reason, boolean welcomed) {
            session = null;
            sessionId = null;
            if (welcomed && clock.millis() - welcomedAtMillis >= settings.healthyAfter().toMillis()) {
                backoff.reset();
            }
            LOG.info("{}: disconnected: {}", deviceId, LogSafe.escape(reason));
            listener.disconnected(reason);
            if (!stopping) {
                scheduleReconnect(reason);
            }
        }
    }

    private final class KeeperEvents implements ProfileKeeper.Events {

        @Override
        public void applied(BandwidthProfile profile) {
            listener.profileApplied(profile);
        }

        @Override
        public void rejected(long generation, String detail) {
            listener.rejected(generation, detail);
        }

        @Override
        public void rolledBack(long generation) {
            listener.rolledBack(generation);
            if (session != null) {
                session.sendPendingReport();
            }
        }

        @Override
        public void confirmed(long generation) {
            listener.confirmed(generation);
        }
    }

    /** Builds an {@link Agent}. Required: servers, credentials, trust (anchors or a {@link ClientTls}), backend, state. */
    public static final class Builder {

        private String deviceId;
        private List<ServerAddress> servers = List.of();
        private CredentialStore credentials;
        private ClientTls tls;
        private List<X509Certificate> anchors;
        private TlsProvider provider = TlsProvider.JDK;
        private DeviceBackend backend;
        private StateStore stateStore;
        private EventLoopGroup group;
        private Clock clock = Clock.systemUTC();
        private RandomGenerator random;
        private AgentListener listener = new AgentListener() { };
        private AgentSettings settings = AgentSettings.defaults();
        private String agentVersion = defaultVersion();

        private Builder() {
        }

        /** The servers, tried in turn. */
        public Builder servers(List<ServerAddress> servers) {
            this.servers = List.copyOf(servers);
            return this;
        }

        public Builder server(String host, int port) {
            return servers(List.of(new ServerAddress(host, port)));
        }

        /** The box serial announced in {@code hello}; defaults to the certificate's CN, which the server checks. */
        public Builder deviceId(String deviceId) {
            this.deviceId = deviceId;
            return this;
        }

        public Builder credentials(CredentialStore credentials) {
            this.credentials = credentials;
            return this;
        }

        /** In-memory credentials: nothing on disk, a renewal lasts until the JVM ends. */
        public Builder credentials(Credentials credentials) {
            return credentials(CredentialStore.inMemory(credentials));
        }

        /** A {@link ClientTls} shared among agents of the same CA: cheap per-agent contexts. */
        public Builder tls(ClientTls tls) {
            this.tls = tls;
            return this;
        }

        /** The CA anchors and provider, when no {@link ClientTls} is given (default provider: JDK). */
        public Builder trust(List<X509Certificate> anchors, TlsProvider provider) {
            this.anchors = List.copyOf(anchors);
            this.provider = provider;
            return this;
        }

        public Builder backend(DeviceBackend backend) {
            this.backend = backend;
            return this;
        }

        public Builder stateStore(StateStore stateStore) {
            this.stateStore = stateStore;
            return this;
        }

        /** Keeps the state in {@code directory}/state.json. */
        public Builder stateDirectory(Path directory) {
            return stateStore(StateStore.directory(directory));
        }

        /** The group whose loop the agent runs on (NIO); by default the agent makes a one-thread group of its own. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = group;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** The source of backoff jitter; by default a {@link Random} of its own. */
        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        public Builder listener(AgentListener listener) {
            this.listener = listener;
            return this;
        }

        public Builder settings(AgentSettings settings) {
            this.settings = settings;
            return this;
        }

        public Builder agentVersion(String agentVersion) {
            this.agentVersion = agentVersion;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming what is missing
         */
        public Agent build() {
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("at least one server is required");
            }
            require(credentials, "credentials");
            require(backend, "backend");
            require(stateStore, "stateStore (or stateDirectory)");
            require(clock, "clock");
            require(listener, "listener");
            require(settings, "settings");
            if (tls == null) {
                require(anchors, "tls or trust anchors");
                tls = ClientTls.of(anchors, provider);
            }
            if (random == null) {
                random = new Random();
            }
            return new Agent(this);
        }

        private static void require(Object value, String name) {
            if (value == null) {
                throw new IllegalArgumentException(name + " is required");
            }
        }

        private static String defaultVersion() {
            String version = Agent.class.getPackage().getImplementationVersion();
            return version == null ? "dev" : version;
        }
    }
}
