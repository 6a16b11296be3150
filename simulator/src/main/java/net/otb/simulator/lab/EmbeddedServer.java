package net.otb.simulator.lab;

import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import net.otb.agent.ServerAddress;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.ServerStartException;
import net.otb.server.rollout.RolloutDriver;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.Role;
import net.otb.simulator.fleet.ApiAccess;
import net.otb.simulator.fleet.CredentialIssuer;

/**
 * The provisioning server in this JVM, on H2 and its dev PKI in a data folder, bound to loopback ports the
 * system chooses on the first start and kept across restarts. The gateway's per-source limit is raised: a
 * simulated fleet connects from one address, which a real fleet never does.
 */
public final class EmbeddedServer implements ServerHandle {

    /**
     * The gateway's periods, in seconds: short ones make a lab's failures visible quickly.
     *
     * @param heartbeat announced in {@code welcome}
     * @param confirm how long a box waits for {@code confirm} before it rolls back
     * @param ackTimeout an unanswered push is sent again after this
     * @param sweep how often due pushes are re-sent
     */
    public record Timings(int heartbeat, int confirm, int ackTimeout, int sweep) {
        public Timings {
            if (heartbeat < 1 || confirm < 1 || ackTimeout < 1 || sweep < 1) {
                throw new IllegalArgumentException("every period is at least 1 s, got " + heartbeat + "/" + confirm
                        + "/" + ackTimeout + "/" + sweep);
            }
        }
    }

    private final Clock clock;
    private final RolloutDriver.Settings rollouts;
    private final Clock pkiClock;
    private ServerConfig config;
    private ProvisioningServer server;
    private ServerAddress agentAddress;
    private URI httpBase;
    private DevPki pki;
    private String providerName;
    private ApiAccess apiAccess;

    private EmbeddedServer(ServerConfig config, Clock clock, Clock pkiClock, RolloutDriver.Settings rollouts) {
        this.config = config;
        this.clock = clock;
        this.pkiClock = pkiClock;
        this.rollouts = rollouts;
    }

    /**
     * Starts a server on {@code dataDir}.
     *
     * @param timings the gateway's periods, or null for the server's defaults
     * @throws ServerStartException when it cannot start
     */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Timings timings)
            throws ServerStartException, PkiException {
        return start(dataDir, tls, clock, clock, timings, RolloutDriver.Settings.defaults());
    }

    /**
     * {@link #start(Path, TlsProvider, Clock, Timings)} with the rollout driver's tick and lease (a lab's rollouts
     * want short ones); kept across restarts.
     */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Timings timings,
                                       RolloutDriver.Settings rollouts) throws ServerStartException, PkiException {
        return start(dataDir, tls, clock, clock, timings, rollouts);
    }

    /**
     * Starts a server whose clock is not the certificates' one: {@code clock} dates the server's business (a dev clock
     * set to another day), {@code pkiClock} the dev PKI's certificates, which the boxes check against the real time.
     */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Clock pkiClock, Timings timings)
            throws ServerStartException, PkiException {
        return start(dataDir, tls, clock, pkiClock, timings, RolloutDriver.Settings.defaults());
    }

    /** The most general start: business clock, certificates' clock, gateway timings, rollout settings. */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Clock pkiClock, Timings timings,
                                       RolloutDriver.Settings rollouts) throws ServerStartException, PkiException {
        ServerConfig base = ServerConfig.ephemeral(dataDir).withTls(tls);
        var gateway = base.gateway().withLimits(1_000_000, 1_000_000, 1_000_000)
                .withUnverifiedLimits(1_000_000, net.otb.server.gateway.GatewayConfig.UNVERIFIED_TOTAL);
        if (timings != null) {
            gateway = gateway.withTimings(timings.heartbeat(), timings.confirm(), timings.ackTimeout(), timings.sweep());
        }
        EmbeddedServer handle = new EmbeddedServer(base.withGateway(gateway), clock, pkiClock, rollouts);
        handle.start();
        return handle;
    }

    @Override
    public synchronized void start() throws ServerStartException, PkiException {
        if (server != null) {
            return;
        }
        ProvisioningServer starting = ProvisioningServer.builder(config).clock(clock).pkiClock(pkiClock)
                .random(new SecureRandom()).rollouts(rollouts).build();
        ProvisioningServer.Ports ports = starting.start();
        server = starting;
        if (agentAddress == null) {
            agentAddress = new ServerAddress("127.0.0.1", ports.agentPort());
            httpBase = URI.create(starting.httpScheme() + "://127.0.0.1:" + ports.httpPort() + "/");
            config = config.withGateway(config.gateway().withPort(ports.agentPort()))
                    .withHttp(config.http().withPort(ports.httpPort()));
        }
        if (pki == null) {
            pki = DevPki.open(config.devPkiDir(), pkiClock, new SecureRandom());
        }
        if (apiAccess == null) {
            // once: the credentials are in the store, kept across restarts on the same folder
            List<ApiCredential> credentials = new java.util.ArrayList<>();
            for (Role role : Role.values()) {
                credentials.add(starting.createCredential("simulator-" + role.wire(), role));
            }
            // calls are signed on the real clock, which the server checks signatures against (a dev clock moves only its business)
            apiAccess = ApiAccess.of(httpBase, List.of(pki.caCertificate()), credentials, pkiClock);
        }
        providerName = TlsProvider.describe(config.tls().resolve());
    }

    @Override
    public synchronized void stop(boolean crash) {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The running server, for assertions on its domain; null while stopped. */
    public synchronized ProvisioningServer server() {
        return server;
    }

    public DevPki pki() {
        return pki;
    }

    @Override
    public ServerAddress agentAddress() {
        return agentAddress;
    }

    @Override
    public URI httpBase() {
        return httpBase;
    }

    @Override
    public ApiAccess apiAccess() {
        return apiAccess;
    }

    @Override
    public CredentialIssuer issuer() {
        return pki::deviceCredentialsInMemory;
    }

    @Override
    public List<X509Certificate> anchors() {
        return List.of(pki.caCertificate());
    }

    @Override
    public String tlsProviderName() {
        return providerName;
    }

    @Override
    public synchronized void close() {
        stop(false);
    }
}
