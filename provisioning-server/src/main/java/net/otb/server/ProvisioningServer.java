package net.otb.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
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
import net.otb.protocol.tls.TlsContexts;
import net.otb.server.api.AdminApi;
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
    private final SecureRandom random;
    private final List<ApiModule> extraModules;
    private final boolean loadServiceModules;

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
    private InstanceLease lease;
    private ClusterEvents events;
    private String instanceId;
    private Ports ports;
    private boolean closed;

    private ProvisioningServer(Builder builder) {
        this.config = builder.config;
        this.clock = builder.clock;
        this.random = builder.random;
        this.extraModules = List.copyOf(builder.modules);
        this.loadServiceModules = builder.loadServiceModules;
    }

    public static Builder builder(ServerConfig config) {
        return new Builder(config);
    }

    /** Options of a server; the clock and random source are injected here. */
    public static final class Builder {
        private final ServerConfig config;
        private Clock clock = Clock.systemUTC();
        private SecureRandom random = new SecureRandom();
        private final List<ApiModule> modules = new ArrayList<>();
        private boolean loadServiceModules = true;

        private Builder(ServerConfig config) {
            this.config = config;
        }

        public Builder clock(Clock value) {
            this.clock = value;
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

        public ProvisioningServer build() {
            return new ProvisioningServer(this);
        }
    }

    /**
     * Starts everything.
     *
     * @return the bound ports
     * @throws ServerStartException when the configuration, the PKI, the catalog, the store or a port
     *         cannot be used; everything opened so far is closed again
     */
    public synchronized Ports start() throws ServerStartException {
        if (ports != null) {
            return ports;
        }
        try {
            Files.createDirectories(config.dataDir());
            Catalog catalog = config.catalogFile() == null ? Catalog.defaults() : Catalog.load(config.catalogFile());
            Pki pki = openPki();
            SslContext sslContext = TlsContexts.server(pki.credentials(), pki.anchors(), pki.revocations(), config.tls());
            database = Database.open(config.store(), clock, random);
            Metrics metrics = new Metrics();
            context = new ServerContext(config, database, clock, random, catalog, metrics, pki.revocations());
            AgentService agentService = new AgentService(database, context.services(), context.devices(),
                    context.tasks(), context.audit(), context.engine(), context::helloListeners, metrics,
                    pki.authority(), config.gateway().confirmSeconds(),
                    Duration.ofSeconds(config.gateway().ackTimeoutSeconds()), config.gateway().maxRollbackRepush());
            gateway = new AgentGateway(config.gateway(), sslContext, agentService, metrics, clock, random);
            context.engine().notifier(gateway);

            router = new Router();
            List<ApiModule> modules = new ArrayList<>();
            modules.add(new OpsApi());
            modules.add(new AdminApi(gateway.registry()));
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
            InetSocketAddress agent = gateway.start(boss, io);
            instanceId = config.cluster().resolveId(hostName(), agent.getPort());
            agentService.ownership(instanceId, ChangeAnnouncer.NONE);
            lease = new InstanceLease(database, instanceId, agent.getHostString() + ":" + agent.getPort(),
                    Duration.ofSeconds(config.cluster().leaseSeconds()), gateway::leaseLost);
            lease.start();
            if (!database.isH2()) {
                listen(agentService);
            }
            http = new HttpApiServer(router, new Dispatcher(database, metrics), httpWorkers, config.http().maxBodyBytes());
            InetSocketAddress httpAddress = http.start(boss, io, config.http().host(), config.http().port());
            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "otb-housekeeping");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(this::purgeIdempotencyKeys, 1, 60, TimeUnit.MINUTES);
            ports = new Ports(agent, httpAddress);
            LOG.info("provisioning server {} started: agents on {}, HTTP on {}, data in {}", instanceId, agent,
                    httpAddress, config.dataDir().toAbsolutePath());
            return ports;
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

    private record Pki(Credentials credentials, List<X509Certificate> anchors, RevocationList revocations,
                       CertificateAuthority authority) {
    }

    private Pki openPki() throws PkiException {
        ServerConfig.PkiConfig files = config.pki();
        if (files == null) {
            boolean created = !Files.exists(config.devPkiDir().resolve("ca.crt"));
            devPki = DevPki.openOrInit(config.devPkiDir(), clock, random);
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
