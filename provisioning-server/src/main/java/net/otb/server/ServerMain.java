package net.otb.server;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.api.HttpConfig;
import net.otb.server.cluster.ClusterConfig;
import net.otb.server.gateway.GatewayConfig;
import net.otb.server.store.StoreConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code otb-server}: runs the provisioning server until SIGTERM or Ctrl-C, which close the sessions, the
 * ports and the database (the JVM then reports 143, i.e. 128 + SIGTERM). Exit codes otherwise: 2 for a
 * configuration the server cannot start with (the message says why), 1 for anything else.
 */
@Command(name = "otb-server", mixinStandardHelpOptions = true,
        description = "The OverTheBox provisioning server: agent gateway (mTLS) and HTTP API.")
public final class ServerMain implements Callable<Integer> {

    /** The line printed once both ports are bound; tools parse it. */
    public static final String READY = "otb-server ready";

    @Option(names = "--data-dir", defaultValue = "data", description = "database and dev PKI folder (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--agent-host", defaultValue = "127.0.0.1", description = "agent gateway address (default: ${DEFAULT-VALUE})")
    String agentHost;

    @Option(names = "--agent-port", defaultValue = "4443", description = "agent gateway port, 0 for any (default: ${DEFAULT-VALUE})")
    int agentPort;

    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "HTTP API address (default: ${DEFAULT-VALUE})")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP API port, 0 for any (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--tls-provider", defaultValue = "auto", description = "auto, openssl or jdk (default: ${DEFAULT-VALUE})")
    String tlsProvider;

    @Option(names = "--jdbc-url", description = "a JDBC URL instead of the embedded H2 database")
    String jdbcUrl;

    @Option(names = "--jdbc-user", description = "database user")
    String jdbcUser;

    @Option(names = "--jdbc-password-env", description = "environment variable holding the database password")
    String jdbcPasswordEnv;

    @Option(names = "--catalog", description = "catalog JSON file (default: the bundled catalog)")
    Path catalog;

    @Option(names = "--ca-cert", description = "CA certificate (PEM) trusted for boxes; with --server-cert and --server-key, replaces the dev PKI")
    Path caCert;

    @Option(names = "--ca-key", description = "CA key (PEM), to sign renewals")
    Path caKey;

    @Option(names = "--server-cert", description = "server certificate chain (PEM)")
    Path serverCert;

    @Option(names = "--server-key", description = "server key (PKCS#8 PEM)")
    Path serverKey;

    @Option(names = "--revocations", description = "revocation list file (JSON; default: DATADIR/revoked.json with an explicit PKI)")
    Path revocations;

    @Option(names = "--heartbeat-seconds", defaultValue = "30", description = "heartbeat announced to boxes (default: ${DEFAULT-VALUE})")
    int heartbeatSeconds;

    @Option(names = "--confirm-seconds", defaultValue = "30", description = "commit-confirm window of a push (default: ${DEFAULT-VALUE})")
    int confirmSeconds;

    @Option(names = "--ack-timeout-seconds", defaultValue = "20", description = "re-send an unanswered push after (default: ${DEFAULT-VALUE})")
    int ackTimeoutSeconds;

    @Option(names = "--max-rollback-repush", defaultValue = "3", description = "re-pushes of a rolled-back generation before error (default: ${DEFAULT-VALUE})")
    int maxRollbackRepush;

    @Option(names = "--max-sessions", defaultValue = "20000", description = "global cap of agent connections (default: ${DEFAULT-VALUE})")
    int maxSessions;

    @Option(names = "--per-source-rate", defaultValue = "500", description = "new agent connections per second per source address (default: ${DEFAULT-VALUE})")
    int perSourceRate;

    @Option(names = "--per-source-burst", defaultValue = "2000", description = "burst of that limit (default: ${DEFAULT-VALUE})")
    int perSourceBurst;

    @Option(names = "--io-threads", defaultValue = "0", description = "event-loop threads, 0 for Netty's default (default: ${DEFAULT-VALUE})")
    int ioThreads;

    @Option(names = "--instance-id", description = "this instance's name among those on one PostgreSQL database "
            + "(default: host name and agent port, e.g. otb1:4443)")
    String instanceId;

    @Option(names = "--lease-seconds", defaultValue = "15", description = "instance lease: taken for dead this long "
            + "after its last heartbeat, its boxes fenced (default: ${DEFAULT-VALUE})")
    int leaseSeconds;

    @Option(names = "--max-body-bytes", defaultValue = "65536", description = "HTTP request body limit (default: ${DEFAULT-VALUE})")
    int maxBodyBytes;

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command; returns the exit code instead of exiting (tests). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new ServerMain());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("otb-server: " + e.getMessage());
            return 1;
        });
        commandLine.setParameterExceptionHandler((e, args2) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("otb-server: " + e.getMessage());
            e.getCommandLine().usage(err);
            return 2;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("otb-server: bad configuration: " + e.getMessage());
            return 2;
        }
        ProvisioningServer server = ProvisioningServer.builder(config).build();
        ProvisioningServer.Ports ports;
        try {
            ports = server.start();
        } catch (ServerStartException e) {
            System.err.println("otb-server: cannot start: " + e.getMessage());
            return 2;
        }
        Thread hook = new Thread(() -> {
            System.out.println("otb-server: stopping (sessions, ports, database)");
            System.out.flush();
            server.close();
            System.out.println("otb-server: stopped");
            System.out.flush();
            stopped.countDown();
        }, "otb-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ProvisioningServer.PkiReport pki = server.pkiReport();
        if (pki.devPki()) {
            System.out.println((pki.created() ? "created" : "using") + " the dev PKI in " + config.devPkiDir().toAbsolutePath());
            System.out.println("  CA certificate (give it to the agents): " + pki.caCertificate());
            System.out.println("  server certificate: " + pki.serverCertificate());
            System.out.println("  box certificates: " + pki.devicesFolder());
        }
        System.out.println("agents: " + ports.agent().getHostString() + ":" + ports.agentPort()
                + "  http: http://" + ports.http().getHostString() + ":" + ports.httpPort()
                + "  data: " + config.dataDir().toAbsolutePath());
        System.out.println("instance: " + server.instanceId() + " (" + (config.store().jdbcUrl().startsWith("jdbc:h2:")
                ? "H2, single instance" : "shared database: several instances may run on it") + ")");
        System.out.println(READY + " agentPort=" + ports.agentPort() + " httpPort=" + ports.httpPort());
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    ServerConfig config() {
        Path dir = dataDir.toAbsolutePath();
        GatewayConfig defaults = GatewayConfig.defaults();
        GatewayConfig gateway = new GatewayConfig(agentHost, agentPort, defaults.handshakeTimeoutSeconds(),
                defaults.helloTimeoutSeconds(), heartbeatSeconds, confirmSeconds, ackTimeoutSeconds, maxRollbackRepush,
                maxSessions, perSourceRate, perSourceBurst, defaults.sweepSeconds(), ioThreads, defaults.dbStripes());
        HttpConfig http = new HttpConfig(httpHost, httpPort, maxBodyBytes, HttpConfig.defaults().workers(),
                HttpConfig.defaults().queue());
        StoreConfig store = StoreConfig.h2(dir);
        if (jdbcUrl != null) {
            String password = jdbcPasswordEnv == null ? null : System.getenv(jdbcPasswordEnv);
            if (jdbcPasswordEnv != null && password == null) {
                throw new IllegalArgumentException("the environment variable " + jdbcPasswordEnv + " is not set");
            }
            store = new StoreConfig(jdbcUrl, jdbcUser, password, 10);
        }
        ServerConfig.PkiConfig pki = null;
        if (caCert != null || serverCert != null || serverKey != null) {
            if (caCert == null || serverCert == null || serverKey == null) {
                throw new IllegalArgumentException("--ca-cert, --server-cert and --server-key go together");
            }
            pki = new ServerConfig.PkiConfig(caCert, serverCert, serverKey, caKey,
                    revocations != null ? revocations : dir.resolve("revoked.json"));
        }
        return new ServerConfig(dir, gateway, http, store, pki, catalog, TlsProvider.parse(tlsProvider),
                new ClusterConfig(instanceId, leaseSeconds));
    }
}
