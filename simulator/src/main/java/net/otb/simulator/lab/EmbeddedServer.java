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
    private final Clock pkiClock;
    private ServerConfig config;
    private ProvisioningServer server;
    private ServerAddress agentAddress;
    private URI httpBase;
    private DevPki pki;
    private String providerName;

    private EmbeddedServer(ServerConfig config, Clock clock, Clock pkiClock) {
        this.config = config;
        this.clock = clock;
        this.pkiClock = pkiClock;
    }

    /**
     * Starts a server on {@code dataDir}.
     *
     * @param timings the gateway's periods, or null for the server's defaults
     * @throws ServerStartException when it cannot start
     */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Timings timings)
            throws ServerStartException, PkiException {
        return start(dataDir, tls, clock, clock, timings);
    }

    /**
     * Starts a server whose clock is not the certificates' one: {@code clock} dates the server's business (a dev clock
     * set to another day), {@code pkiClock} the dev PKI's certificates, which the boxes check against the real time.
     */
    public static EmbeddedServer start(Path dataDir, TlsProvider tls, Clock clock, Clock pkiClock, Timings timings)
            throws ServerStartException, PkiException {
        ServerConfig base = ServerConfig.ephemeral(dataDir).withTls(tls);
        var gateway = base.gateway().withLimits(1_000_000, 1_000_000, 1_000_000);
        if (timings != null) {
            gateway = gateway.withTimings(timings.heartbeat(), timings.confirm(), timings.ackTimeout(), timings.sweep());
        }
        EmbeddedServer handle = new EmbeddedServer(base.withGateway(gateway), clock, pkiClock);
        handle.start();
        return handle;
    }

    @Override
    public synchronized void start() throws ServerStartException, PkiException {
        if (server != null) {
            return;
        }
        ProvisioningServer starting = ProvisioningServer.builder(config).clock(clock).pkiClock(pkiClock)
                .random(new SecureRandom()).build();
        ProvisioningServer.Ports ports = starting.start();
        server = starting;
        if (agentAddress == null) {
            agentAddress = new ServerAddress("127.0.0.1", ports.agentPort());
            httpBase = URI.create("http://127.0.0.1:" + ports.httpPort() + "/");
            config = config.withGateway(config.gateway().withPort(ports.agentPort()))
                    .withHttp(config.http().withPort(ports.httpPort()));
        }
        if (pki == null) {
            pki = DevPki.open(config.devPkiDir(), pkiClock, new SecureRandom());
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
