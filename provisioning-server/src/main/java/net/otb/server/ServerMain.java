package net.otb.server;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.api.HttpConfig;
import net.otb.server.cluster.ClusterConfig;
import net.otb.server.gateway.GatewayConfig;
import net.otb.server.store.StoreConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code otb-server}: runs the provisioning server until SIGTERM or Ctrl-C, which close the sessions, the
 * ports and the database (the JVM then reports 143, i.e. 128 + SIGTERM). Exit codes otherwise: 2 for a
 * configuration the server cannot start with (the message says why), 1 for anything else. Every option can also
 * be given in a config file ({@code --config}, see {@link ConfigFile}); the command line overrides the file.
 */
@Command(name = "otb-server", mixinStandardHelpOptions = true,
        description = "The OverTheBox provisioning server: agent gateway (mTLS) and HTTPS API.",
        subcommands = CreateCredentialCommand.class,
        footer = {"", "Every option but --config and --check-config can be set in the config file as key = value, the key "
                + "being the option without its dashes (agent-port = 4443); the command line overrides the file."})
public final class ServerMain implements Callable<Integer> {

    /** The line printed once both ports are bound; tools parse it. */
    public static final String READY = "otb-server ready";

    @Option(names = "--config", paramLabel = "FILE", description = "config file (key = value lines; see docs/server.md)")
    Path configFile;

    @Option(names = "--check-config", description = "check the config file and options, print the settings, exit 0 (2 if bad)")
    boolean checkConfig;

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

    @Option(names = "--tls-ticket-secret", paramLabel = "FILE",
            description = "the secret the agents' TLS session-ticket keys derive from (made when absent, owner-only); "
                    + "instances that share it resume each other's sessions (default: DATADIR/tls-ticket-secret)")
    Path tlsTicketSecret;

    @Option(names = "--tls-ticket-rotation-hours", defaultValue = "12",
            description = "the ticket keys rotate this often; a box's ticket resumes for one to two periods; 0 leaves "
                    + "tickets to the TLS provider's own keys, lost at restart (default: ${DEFAULT-VALUE})")
    int tlsTicketRotationHours;

    @Option(names = "--max-body-bytes", defaultValue = "65536", description = "HTTP request body limit (default: ${DEFAULT-VALUE})")
    int maxBodyBytes;

    @Option(names = "--http-insecure", description = "plain HTTP instead of HTTPS on the API port, for local experiments; refused unless --http-host is loopback")
    boolean httpInsecure;

    @Option(names = "--https-cert", description = "certificate chain (PEM, leaf first) of the API port (default: the server certificate)")
    Path httpsCert;

    @Option(names = "--https-key", description = "its key (PKCS#8 PEM)")
    Path httpsKey;

    @Option(names = "--credential-key-file", description = "AES key sealing the API's application secrets (default: DATADIR/api-secrets.key, created)")
    Path credentialKeyFile;

    @Option(names = "--signature-window-seconds", defaultValue = "60", description = "a signed request's timestamp may be this far from the server's clock (default: ${DEFAULT-VALUE})")
    int signatureWindowSeconds;

    @Option(names = "--billing-zone", paramLabel = "ZONE", defaultValue = "Europe/Paris",
            description = "zone of the billing day: effective dates and prorata refunds (default: ${DEFAULT-VALUE})")
    ZoneId billingZone;

    @Option(names = "--clock-start", paramLabel = "INSTANT",
            description = "DEV ONLY, never in production: the server's clock starts at this ISO-8601 instant and runs "
                    + "from there (e.g. 2028-02-29T10:00:00Z, to show a refund on 29 February); certificates keep "
                    + "the real time")
    Instant clockStart;

    @Spec
    CommandSpec spec;

    /** The config file read for this run, if any. */
    private ConfigFile file;

    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command; returns the exit code instead of exiting (tests). */
    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new ServerMain());
        commandLine.registerConverter(ZoneId.class, ZoneId::of);
        commandLine.registerConverter(Instant.class, Instant::parse);
        Path file = configFileArgument(args);
        if (file != null) {
            try {
                ConfigFile read = ConfigFile.read(file, commandLine.getCommandSpec());
                commandLine.setDefaultValueProvider(read);
                ((ServerMain) commandLine.getCommand()).file = read;
            } catch (IllegalArgumentException e) {
                commandLine.getErr().println("otb-server: bad config file: " + e.getMessage());
                commandLine.getErr().flush();
                return 2;
            }
        }
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

    /** The value of {@code --config} among the arguments, read before the rest because it gives their defaults. */
    private static Path configFileArgument(String[] args) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--config=")) {
                file = Path.of(args[i].substring("--config=".length()));
            }
        }
        return file;
    }

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("otb-server: bad configuration: " + e.getMessage() + fromTheFile(e.getMessage()));
            return 2;
        }
        if (checkConfig) {
            System.out.println("otb-server: configuration OK" + (configFile == null ? "" : " (" + configFile + ")"));
            System.out.println("  data " + config.dataDir() + ", agents " + config.gateway().host() + ":"
                    + config.gateway().port() + ", http " + config.http().host() + ":" + config.http().port()
                    + ", store " + config.store().jdbcUrl().replaceFirst("[;?].*", "") + ", billing zone " + config.billingZone());
            return 0;
        }
        ProvisioningServer.Builder builder = ProvisioningServer.builder(config)
                .ticketRotation(Duration.ofHours(tlsTicketRotationHours))
                .ticketSecretFile(tlsTicketSecret);
        if (clockStart != null) {
            // the offset is taken once: the clock then runs at the system clock's pace from the instant asked
            Clock system = Clock.systemUTC();
            builder.clock(Clock.offset(system, Duration.between(system.instant(), clockStart))).pkiClock(system);
            System.out.println("otb-server: DEV ONLY: the clock starts at " + clockStart
                    + " (certificates keep the real time); never use --clock-start in production");
        }
        ProvisioningServer server = builder.build();
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
                + "  api: " + server.httpScheme() + "://" + ports.http().getHostString() + ":" + ports.httpPort()
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

    /**
     * Where a setting the configuration refused came from, when it is a line of the config file (not overridden on the
     * command line): the settings' checks name them as "agent port" or "heartbeatSeconds", the file as agent-port.
     */
    private String fromTheFile(String message) {
        if (file == null || message == null) {
            return "";
        }
        for (ConfigFile.Entry entry : file.entries().values()) {
            if (spec != null && spec.commandLine().getParseResult().hasMatchedOption("--" + entry.key())) {
                continue;
            }
            String spaced = entry.key().replace('-', ' ');
            StringBuilder camel = new StringBuilder();
            for (String part : entry.key().split("-")) {
                camel.append(camel.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
            }
            String lower = message.toLowerCase(Locale.ROOT);
            if (lower.contains(spaced) || message.contains(camel)) {
                return " (" + file.file() + " line " + entry.line() + ": " + entry.key() + ")";
            }
        }
        return "";
    }

    ServerConfig config() {
        if (tlsTicketRotationHours < 0) {
            throw new IllegalArgumentException("tls-ticket-rotation-hours cannot be negative: " + tlsTicketRotationHours);
        }
        Path dir = dataDir.toAbsolutePath();
        GatewayConfig defaults = GatewayConfig.defaults();
        GatewayConfig gateway = new GatewayConfig(agentHost, agentPort, defaults.handshakeTimeoutSeconds(),
                defaults.helloTimeoutSeconds(), heartbeatSeconds, confirmSeconds, ackTimeoutSeconds, maxRollbackRepush,
                maxSessions, perSourceRate, perSourceBurst, defaults.sweepSeconds(), ioThreads, defaults.dbStripes());
        if ((httpsCert == null) != (httpsKey == null)) {
            throw new IllegalArgumentException("--https-cert and --https-key go together");
        }
        if (httpInsecure && httpsCert != null) {
            throw new IllegalArgumentException("--http-insecure serves no certificate: drop --https-cert/--https-key");
        }
        HttpConfig http = new HttpConfig(httpHost, httpPort, maxBodyBytes, HttpConfig.defaults().workers(),
                HttpConfig.defaults().queue(), httpInsecure, httpsCert, httpsKey,
                credentialKeyFile == null ? null : credentialKeyFile.toAbsolutePath(), signatureWindowSeconds);
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
        return new ServerConfig(dir, gateway, http, store, pki, catalog, TlsProvider.parse(tlsProvider), billingZone,
                new ClusterConfig(instanceId, leaseSeconds));
    }
}
