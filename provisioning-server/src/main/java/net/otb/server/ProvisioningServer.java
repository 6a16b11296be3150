package net.otb.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.pki.RevocationList;
import net.otb.protocol.tls.FleetTrustManager;
import net.otb.protocol.tls.TicketKeys;
import net.otb.protocol.tls.TlsContexts;
import java.net.InetAddress;
import java.nio.file.Path;
import net.otb.server.api.AdminApi;
import net.otb.server.api.HttpConfig;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.AuthApi;
import net.otb.server.auth.Authenticator;
import net.otb.server.auth.CredentialStore;
import net.otb.server.auth.Role;
import net.otb.server.auth.SecretBox;
import net.otb.server.api.ApiModule;
import net.otb.server.api.Dispatcher;
import net.otb.server.api.HttpApiServer;
import net.otb.server.api.Idempotency;
import net.otb.server.api.OpsApi;
import net.otb.server.api.Router;
import net.otb.server.catalog.Catalog;
import net.otb.server.cluster.ClusterEvents;
import net.otb.server.cluster.InstanceLease;
import net.otb.server.desired.ChangeAnnouncer;
import net.otb.server.desired.AgentService;
import net.otb.server.gateway.AgentGateway;
import net.otb.server.metrics.Metrics;
import net.otb.server.rollout.RolloutDriver;
import net.otb.server.store.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provisioning server, embeddable: {@code start()} opens the store, the agent gateway and the HTTP
 * API and returns the bound ports (real ones even when 0 was asked); {@code close()} ends every session,
 * stops the ports and closes the store. Used by {@link ServerMain}, the tests, the simulator and the demo.
 */
public final class ProvisioningServer implements AutoCloseable {

    /** The bound addresses. */
    public record Ports(InetSocketAddress agent, InetSocketAddress http) {
        public int agentPort() {
            return agent.getPort();
        }

        public int httpPort() {
            return http.getPort();
        }
    }

    /** What a start found or made in the way of a PKI, for the operator. */
    public record PkiReport(boolean devPki, boolean created, String caCertificate, String serverCertificate,
                            String devicesFolder) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ProvisioningServer.class);

    private final ServerConfig config;
    private final Clock clock;
    private final Clock pkiClock;
    private final SecureRandom random;
    private final List<ApiModule> extraModules;
    private final boolean loadServiceModules;
    private final Duration ticketRotation;
    private final java.nio.file.Path ticketSecretFile;
    private final RolloutDriver.Settings rolloutSettings;

    private Database database;
    private ServerContext context;
    private DevPki devPki;
    private PkiReport pkiReport;
    private AgentGateway gateway;
    private HttpApiServer http;
    private Router router;
    private EventLoopGroup boss;
    private EventLoopGroup io;
    private ThreadPoolExecutor httpWorkers;
    private ScheduledExecutorService housekeeping;
    private RolloutDriver rolloutDriver;
    private InstanceLease lease;
    private ClusterEvents events;
    private String instanceId;
    private Ports ports;
    private boolean closed;
    private CredentialStore credentials;
    private Path httpsCertificate;

    private ProvisioningServer(Builder builder) {
        this.config = builder.config;
        this.clock = builder.clock;
        this.pkiClock = builder.pkiClock == null ? builder.clock : builder.pkiClock;
        this.random = builder.random;
        this.extraModules = List.copyOf(builder.modules);
        this.loadServiceModules = builder.loadServiceModules;
        this.ticketRotation = builder.ticketRotation;
        this.ticketSecretFile = builder.ticketSecretFile;
        this.rolloutSettings = builder.rolloutSettings;
    }

    public static Builder builder(ServerConfig config) {
        return new Builder(config);
    }

    /** Options of a server; the clock and random source are injected here. */
    public static final class Builder {
        private final ServerConfig config;
        private Clock clock = Clock.systemUTC();
        private Clock pkiClock;
        private SecureRandom random = new SecureRandom();
        private final List<ApiModule> modules = new ArrayList<>();
        private boolean loadServiceModules = true;
        private Duration ticketRotation = TicketKeys.DEFAULT_ROTATION;
        private java.nio.file.Path ticketSecretFile;
        private RolloutDriver.Settings rolloutSettings = RolloutDriver.Settings.defaults();

        private Builder(ServerConfig config) {
            this.config = config;
        }

        /**
         * How often the TLS session-ticket keys rotate (a box's ticket resumes for one to two periods, on every
         * instance that shares the secret, across restarts); {@link Duration#ZERO} leaves tickets to the TLS
         * provider's own keys, which a restart loses.
         */
        public Builder ticketRotation(Duration value) {
            if (value.isNegative()) {
                throw new IllegalArgumentException("the ticket rotation cannot be negative: " + value);
            }
            this.ticketRotation = value;
            return this;
        }

        /**
         * The file holding the secret the ticket keys are derived from (made when absent); instances that share it
         * resume each other's tickets. Default: {@code DATADIR/tls-ticket-secret}.
         */
        public Builder ticketSecretFile(java.nio.file.Path value) {
            this.ticketSecretFile = value;
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        /**
         * The clock of the dev PKI's certificates, when it must differ from {@link #clock(Clock)}: a dev clock set
         * to another day must not issue certificates that the real time on the boxes finds not yet valid or expired.
         * Default: the server's clock.
         */
        public Builder pkiClock(Clock value) {
            this.pkiClock = value;
            return this;
        }

        public Builder random(SecureRandom value) {
            this.random = value;
            return this;
        }

        /** Adds routes; modules listed in {@code META-INF/services} are added too unless turned off. */
        public Builder module(ApiModule module) {
            modules.add(module);
            return this;
        }

        public Builder loadServiceModules(boolean value) {
            this.loadServiceModules = value;
            return this;
        }

        /** How often rollouts are driven and how long a lease lasts (tests use short ones). */
        public Builder rollouts(RolloutDriver.Settings value) {
            this.rolloutSettings = value;
            return this;
        }

        public ProvisioningServer build() {
            return new ProvisioningServer(this);
        }
    }

    /**
     * Starts everything.
     *
     * @return the bound ports
     * @throws ServerStartException when the configuration, the PKI, the catalog, the store or a port
     *         cannot be used; everything opened so far is closed again, and what this start created in the data
     *         folder (the folder itself, the H2 database, the dev PKI) is removed: a failed start leaves it as it was
     */
    public synchronized Ports start() throws ServerStartException {
        if (ports != null) {
            return ports;
        }
        // a port in use is found before anything is written (ports 0 always bind)
        Listeners.probe("agent", config.gateway().host(), config.gateway().port());
        Listeners.probe("HTTP", config.http().host(), config.http().port());
        StartLeftovers leftovers = StartLeftovers.before(config.dataDir(), config.devPkiDir());
        try {
            return startInOrder();
        } catch (ServerStartException e) {
            leftovers.removeNew();
            throw e;
        }
    }

    private Ports startInOrder() throws ServerStartException {
        try {
            DataDirectory.create(config.dataDir());
            Catalog catalog = config.catalogFile() == null ? Catalog.defaults() : Catalog.load(config.catalogFile());
            long began = System.nanoTime();
            Pki pki = openPki();
            long pkiDone = System.nanoTime();
            // TLS dates and ticket periods follow the real clock, not the injected one (a test or an operator may
            // set that to another day for billing; certificates were made on this one)
            FleetTrustManager trust = FleetTrustManager.of(pki.anchors(), pki.revocations(), Clock.systemUTC());
            TicketKeys tickets = ticketRotation.isZero() ? null : TicketKeys.loadOrCreate(
                    ticketSecretFile != null ? ticketSecretFile : config.dataDir().resolve("tls-ticket-secret"),
                    ticketRotation, Clock.systemUTC(), random);
            SslContext sslContext = TlsContexts.server(pki.credentials(), trust, config.tls(), tickets);
            SslContext https = httpsContext(pki);
            SecretBox secrets = SecretBox.openOrCreate(config.http().credentialKeyFile() != null
                    ? config.http().credentialKeyFile() : config.apiSecretsKeyFile(), random);
            long tlsDone = System.nanoTime();
            database = Database.open(config.store(), clock, random);
            DataDirectory.restrict(config.dataDir());
            long storeDone = System.nanoTime();
            credentials = new CredentialStore(secrets, random);
            // signatures are timed by the real clock, as TLS is: a dev clock set to another day moves the business only
            Authenticator authenticator = new Authenticator(database, credentials, pkiClock,
                    Duration.ofSeconds(config.http().signatureWindowSeconds()));
            Metrics metrics = new Metrics();
            context = new ServerContext(config, database, clock, random, catalog, metrics, pki.revocations());
            AgentService agentService = new AgentService(database, context.services(), context.devices(),
                    context.tasks(), context.audit(), context.engine(), context::helloListeners, metrics,
                    pki.authority(), config.gateway().confirmSeconds(),
                    Duration.ofSeconds(config.gateway().ackTimeoutSeconds()), config.gateway().maxRollbackRepush());
            // every session, full or resumed: BoringSSL resumes tickets even without our keys
            gateway = new AgentGateway(config.gateway(), sslContext, trust::checkEstablished, agentService, metrics,
                    clock, random);
            tlsSessionMetrics(metrics, sslContext);
            context.engine().notifier(gateway);

            router = new Router();
            List<ApiModule> modules = new ArrayList<>();
            modules.add(new OpsApi());
            modules.add(new AuthApi(pkiClock));
            net.otb.server.cluster.Presence presence = new net.otb.server.cluster.Presence(gateway.registry(),
                    this::instanceId, agentService::modelsOf);
            modules.add(new AdminApi(presence));
            rolloutDriver = new RolloutDriver(database, context.rollouts(), context.services(), context.engine(),
                    context.audit(), metrics, String.format("instance-%08x", random.nextInt()), rolloutSettings);
            modules.add(new net.otb.server.api.RolloutApi(rolloutDriver, presence));
            modules.add(new net.otb.server.api.ConsoleApi(presence, rolloutDriver));
            modules.addAll(extraModules);
            if (loadServiceModules) {
                ServiceLoader.load(ApiModule.class).forEach(modules::add);
            }
            for (ApiModule module : modules) {
                module.register(router, context);
            }

            boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            io = new MultiThreadIoEventLoopGroup(config.gateway().ioThreads(), NioIoHandler.newFactory());
            AtomicInteger workerIndex = new AtomicInteger();
            httpWorkers = new ThreadPoolExecutor(config.http().workers(), config.http().workers(), 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(config.http().queue()), r -> {
                        Thread t = new Thread(r, "otb-http-" + workerIndex.getAndIncrement());
                        t.setDaemon(true);
                        return t;
                    });
            if (config.gateway().port() != 0) {
                // known before any box can connect; with port 0 nobody can connect before start() returns
                agentService.ownership(config.cluster().resolveId(hostName(), config.gateway().port()),
                        ChangeAnnouncer.NONE);
            }
            InetSocketAddress agent = Listeners.bind("agent", config.gateway().host(), config.gateway().port(),
                    () -> gateway.start(boss, io));
            long listening = System.nanoTime();
            instanceId = config.cluster().resolveId(hostName(), agent.getPort());
            agentService.ownership(instanceId, ChangeAnnouncer.NONE);
            // the rollouts' leases under the instance's own name, so that the console can say who drives what
            rolloutDriver.instanceId(instanceId);
            lease = new InstanceLease(database, instanceId, agent.getHostString() + ":" + agent.getPort(),
                    Duration.ofSeconds(config.cluster().leaseSeconds()), gateway::leaseLost);
            lease.start();
            if (!database.isH2()) {
                listen(agentService);
            }
            http = new HttpApiServer(router, new Dispatcher(database, metrics, authenticator), httpWorkers,
                    config.http().maxBodyBytes(), https);
            InetSocketAddress httpAddress = Listeners.bind("HTTP", config.http().host(), config.http().port(),
                    () -> http.start(boss, io, config.http().host(), config.http().port()));
            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "otb-housekeeping");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(this::purgeIdempotencyKeys, 1, 60, TimeUnit.MINUTES);
            // a revocation made with the PKI tool while the server runs: effective within seconds, never erased
            housekeeping.scheduleWithFixedDelay(this::refreshRevocations, REVOCATIONS_CHECK_SECONDS,
                    REVOCATIONS_CHECK_SECONDS, TimeUnit.SECONDS);
            if (tickets != null) {
                housekeeping.scheduleWithFixedDelay(() -> tickets.install(sslContext), 1, 1, TimeUnit.MINUTES);
            }
            rolloutDriver.start();
            ports = new Ports(agent, httpAddress);
            // what the store, the PKI and the secrets wrote under the umask becomes owner-only (docs/server.md "Data folder")
            DataDirectory.restrict(config.dataDir());
            LOG.info("provisioning server {} started: agents on {}, {} on {}, data in {}", instanceId, agent,
                    https == null ? "plain HTTP (insecure)" : "HTTPS", httpAddress, config.dataDir().toAbsolutePath());
            // where a start's time goes: a restart after a crash is the boxes' outage (docs/benchmarks.md)
            LOG.info("start took {} ms: PKI {} ms, TLS contexts {} ms, store {} ms, agent port listening at {} ms, "
                    + "the rest {} ms", millis(began, System.nanoTime()), millis(began, pkiDone),
                    millis(pkiDone, tlsDone), millis(tlsDone, storeDone), millis(began, listening),
                    millis(listening, System.nanoTime()));
            return ports;
        } catch (ServerStartException e) {
            closeQuietly();
            throw e;
        } catch (PkiException | java.io.IOException | RuntimeException e) {
            closeQuietly();
            throw new ServerStartException(describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly();
            throw new ServerStartException("interrupted while starting", e);
        }
    }

    public Ports ports() {
        return ports;
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }

    /**
     * Creates an application and a consumer key of {@code role} in the store and returns them (the only time the
     * secret and the consumer key are shown): what {@code otb-server create-credential} does, for tests, the
     * simulator and the demo.
     *
     * @throws IllegalStateException when the server is not started
     */
    public ApiCredential createCredential(String applicationName, Role role) {
        if (database == null || credentials == null) {
            throw new IllegalStateException("the server is not started");
        }
        return database.inTransaction(tx -> credentials.create(tx, applicationName, role));
    }

    /** The scheme of the API port: {@code https}, or {@code http} when started insecure. */
    public String httpScheme() {
        return config.http().insecure() ? "http" : "https";
    }

    /** The PEM chain the API port serves, null with plain HTTP. */
    public Path httpsCertificate() {
        return httpsCertificate;
    }

    /** This instance's id among the instances on its database (the boxes' ownership rows name it). */
    public String instanceId() {
        return instanceId;
    }

    /** Announces this instance's changes to the others and hears theirs (PostgreSQL only). */
    private void listen(AgentService agentService) throws InterruptedException {
        String schema = database.inTransaction(ClusterEvents::currentSchema);
        events = new ClusterEvents(config.store(), ClusterEvents.channelFor(schema), instanceId, new ClusterEvents.Sink() {
            @Override
            public void changed(String deviceId) {
                gateway.deviceChanged(deviceId);
            }

            @Override
            public void revoked(String deviceId) {
                gateway.deviceRevoked(deviceId);
            }

            @Override
            public void sessionTaken(String deviceId, String instance, long token) {
                gateway.sessionTakenElsewhere(deviceId, instance, token);
            }

            @Override
            public void resubscribed() {
                gateway.sweepSoon();
            }
        });
        agentService.ownership(instanceId, events);
        context.engine().announcer(events);
        events.start(10_000);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The store, domain services and catalog (for tests, the simulator and the demo). */
    public ServerContext context() {
        return context;
    }

    public AgentGateway gateway() {
        return gateway;
    }

    /** Drives the rollouts; null before start and after close. */
    public RolloutDriver rolloutDriver() {
        return rolloutDriver;
    }

    public Router router() {
        return router;
    }

    /** The dev PKI when the server runs on it, else null. */
    public DevPki devPki() {
        return devPki;
    }

    public PkiReport pkiReport() {
        return pkiReport;
    }

    /** Ends every session ({@code shutdown}), closes the ports and the store. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly();
        LOG.info("provisioning server stopped");
    }

    private void closeQuietly() {
        if (rolloutDriver != null) {
            // before the store closes: the leases are released so that another instance takes over at once
            rolloutDriver.close();
            rolloutDriver = null;
        }
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (http != null) {
            http.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (events != null) {
            events.close();
        }
        if (lease != null) {
            lease.close();
        }
        if (httpWorkers != null) {
            httpWorkers.shutdown();
            try {
                httpWorkers.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (io != null) {
            io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (database != null) {
            database.close();
            database = null;
        }
    }

    /** How often the revocation list's file is looked at for what another process (the PKI tool) added. */
    static final long REVOCATIONS_CHECK_SECONDS = 2;

    private void refreshRevocations() {
        try {
            java.util.Set<String> added = context.revocations().refresh();
            if (!added.isEmpty()) {
                LOG.info("event=tls.revocations_added count={} serials={}", added.size(),
                        net.otb.protocol.logging.LogFields.value(String.join(",", added)));
                gateway.closeRevokedCertificates(added);
            }
        } catch (PkiException | RuntimeException e) {
            LOG.warn("event=tls.revocations_unreadable error={}", net.otb.protocol.logging.LogFields.value(e.getMessage()));
        }
    }

    private void purgeIdempotencyKeys() {
        try {
            int purged = Idempotency.purge(database);
            if (purged > 0) {
                LOG.info("purged {} idempotency keys older than {}", purged, Idempotency.RETENTION);
            }
        } catch (RuntimeException e) {
            LOG.warn("idempotency purge failed: {}", e.toString());
        }
    }

    /** BoringSSL's own counts of resumed and refused tickets, which no handler can see per connection. */
    private static void tlsSessionMetrics(Metrics metrics, SslContext sslContext) {
        if (sslContext.sessionContext() instanceof io.netty.handler.ssl.OpenSslSessionContext openssl) {
            io.netty.handler.ssl.OpenSslSessionStats stats = openssl.stats();
            metrics.gauge("otb_tls_resumed_total", "agent TLS sessions resumed from a session ticket",
                    stats::ticketKeyResume);
            metrics.gauge("otb_tls_ticket_refused_total",
                    "session tickets refused (unknown or rotated-out key): a full handshake followed",
                    stats::ticketKeyFail);
        }
    }

    /**
     * The API port's TLS context (TLS 1.3 and 1.2, the agents' cipher suites, no client certificate): the chain
     * configured for HTTPS, else the server's own certificate; null for plain HTTP, which only a loopback bind may
     * use.
     */
    private SslContext httpsContext(Pki pki) throws PkiException, java.io.IOException {
        HttpConfig http = config.http();
        if (http.insecure()) {
            InetAddress address = InetAddress.getByName(http.host());
            if (!address.isLoopbackAddress()) {
                throw new IllegalArgumentException("plain HTTP (--http-insecure) is for local experiments: it binds "
                        + "loopback only, not " + http.host());
            }
            LOG.warn("the HTTP API is plain HTTP on {}: requests and credentials travel in clear", http.host());
            return null;
        }
        Credentials served;
        if (http.tlsCertificate() != null) {
            served = Credentials.load(http.tlsKey(), http.tlsCertificate());
            httpsCertificate = http.tlsCertificate();
        } else {
            served = pki.credentials();
            httpsCertificate = config.pki() != null ? config.pki().serverCertificate() : devPki.serverCertificateFile();
        }
        SslProvider provider = config.tls().resolve();
        return SslContextBuilder.forServer(served.key(), served.chain())
                .sslProvider(provider)
                .protocols(TlsContexts.PROTOCOLS)
                .ciphers(TlsContexts.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .build();
    }

    private record Pki(Credentials credentials, List<X509Certificate> anchors, RevocationList revocations,
                       CertificateAuthority authority) {
    }

    private Pki openPki() throws PkiException {
        ServerConfig.PkiConfig files = config.pki();
        if (files == null) {
            boolean created = !Files.exists(config.devPkiDir().resolve("ca.crt"));
            devPki = DevPki.openOrInit(config.devPkiDir(), pkiClock, random);
            if (!Files.exists(devPki.serverCertificateFile())) {
                devPki.issueServer(List.of("localhost", "127.0.0.1", "::1"), false, random);
            }
            pkiReport = new PkiReport(true, created, devPki.caFile().toAbsolutePath().toString(),
                    devPki.serverCertificateFile().toAbsolutePath().toString(),
                    devPki.directory().resolve("devices").toAbsolutePath().toString());
            return new Pki(devPki.serverCredentials(), List.of(devPki.caCertificate()), devPki.revocations(),
                    devPki.authority());
        }
        Credentials credentials = Credentials.load(files.serverKey(), files.serverCertificate());
        List<X509Certificate> anchors = Pem.readCertificates(files.caCertificate());
        CertificateAuthority authority = null;
        if (files.caKey() != null) {
            authority = new CertificateAuthority(new java.security.KeyPair(anchors.get(0).getPublicKey(),
                    Pem.readPrivateKey(files.caKey())), anchors.get(0), random);
        }
        pkiReport = new PkiReport(false, false, files.caCertificate().toString(), files.serverCertificate().toString(), null);
        return new Pki(credentials, anchors, RevocationList.load(files.revocationFile()), authority);
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        if (e instanceof java.net.BindException || e.getCause() instanceof java.net.BindException) {
            return "cannot bind a port: " + message;
        }
        return message == null ? e.toString() : message;
    }
}
