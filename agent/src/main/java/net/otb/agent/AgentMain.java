package net.otb.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceBackends;
import net.otb.agent.config.AgentConfig;
import net.otb.agent.config.ConfigException;
import net.otb.agent.tls.ClientTls;
import net.otb.agent.tls.CredentialStore;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code otb-agent --config FILE [--check-config]}: runs the agent until it is stopped (SIGTERM) or
 * decommissioned. Exit codes: 0 stopped, 1 failed while running (unreadable state, backend unusable),
 * 2 bad configuration or command line (one line on stderr naming the field or option).
 *
 * <p>The command line is parsed here rather than with picocli, which the server's tools use: five options
 * do not need its ~170 classes and reflection in the 64 MB a box gives the agent (docs/benchmarks.md).
 */
public final class AgentMain {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_CONFIG = 2;

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: otb-agent --config FILE [--check-config]",
            "       otb-agent --self-test [--tls-provider jdk|openssl|auto]",
            "The OverTheBox agent: applies the bandwidth profile the provisioning server pushes.",
            "  --config FILE          the agent's properties file (agent/dist/agent.properties documents it)",
            "  --check-config         check the config, keys, CA and backend options, then exit",
            "  --self-test            run one whole session on loopback with a throwaway CA, then exit",
            "                         (checks this runtime; trains the class-data-sharing archive of jlink.sh)",
            "  --tls-provider NAME    with --self-test: jdk, openssl or auto (default jdk)",
            "  -h, --help             print this help and exit",
            "  -V, --version          print the version and exit");

    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    private final PrintWriter out;
    private final PrintWriter err;
    private Path config;
    private boolean selfTest;
    private String selfTestProvider = "jdk";
    private boolean checkOnly;

    private AgentMain(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        // one connection needs no pooled arenas: unpooled buffers save ~5 MB of RSS on a box (measured)
        if (System.getProperty("io.netty.allocator.type") == null) {
            System.setProperty("io.netty.allocator.type", "unpooled");
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line {@code args}, printing to {@code out} and {@code err}; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        AgentMain main = new AgentMain(out, err);
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String name = arg;
                String value = null;
                int equals = arg.indexOf('=');
                if (arg.startsWith("--") && equals > 0) {
                    name = arg.substring(0, equals);
                    value = arg.substring(equals + 1);
                }
                switch (name) {
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        out.flush();
                        return EXIT_OK;
                    }
                    case "-V", "--version" -> {
                        out.println("otb-agent " + version());
                        out.flush();
                        return EXIT_OK;
                    }
                    case "--config" -> {
                        if (value == null) {
                            value = valueOf(args, ++i, name);
                        }
                        main.config = Path.of(value);
                    }
                    case "--tls-provider" -> main.selfTestProvider = value != null ? value : valueOf(args, ++i, name);
                    case "--check-config" -> main.checkOnly = flag(name, value);
                    case "--self-test" -> main.selfTest = flag(name, value);
                    default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
                }
            }
        } catch (IllegalArgumentException e) {
            // InvalidPathException is one too: a config path the file system cannot hold
            err.println("otb-agent: " + e.getMessage());
            err.println(USAGE);
            err.flush();
            return EXIT_CONFIG;
        }
        return main.call();
    }

    private static String valueOf(String[] args, int index, String option) {
        if (index >= args.length || args[index].startsWith("-")) {
            throw new IllegalArgumentException("option " + option + " needs a value");
        }
        return args[index];
    }

    private static boolean flag(String option, String value) {
        if (value != null) {
            throw new IllegalArgumentException("option " + option + " takes no value");
        }
        return true;
    }

    private static String version() {
        String version = AgentMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private int call() {
        if (selfTest) {
            return selfTest();
        }
        if (config == null) {
            err.println("otb-agent: --config FILE is required");
            err.flush();
            return EXIT_CONFIG;
        }
        AgentConfig settings;
        CredentialStore credentials;
        List<X509Certificate> anchors;
        ClientTls tls;
        try {
            settings = AgentConfig.load(config);
            credentials = credentials(settings);
            anchors = anchors(settings);
            tls = tls(settings, anchors);
            if (!DeviceBackends.available().containsKey(settings.backend())) {
                throw new ConfigException(AgentConfig.BACKEND, "unknown backend '" + settings.backend()
                        + "', available: " + String.join(", ", DeviceBackends.available().keySet()));
            }
        } catch (ConfigException e) {
            err.println("otb-agent: bad config " + config + ": " + e.getMessage());
            err.flush();
            return EXIT_CONFIG;
        }
        DeviceBackend backend;
        try {
            backend = DeviceBackends.create(settings.backend(), settings.backendOptions());
        } catch (IllegalArgumentException e) {
            err.println("otb-agent: bad config " + config + ": " + e.getMessage());
            err.flush();
            return EXIT_CONFIG;
        } catch (BackendException e) {
            err.println("otb-agent: backend " + settings.backend() + " cannot drive this box: " + e.getMessage());
            err.flush();
            return EXIT_FAILED;
        }
        if (checkOnly) {
            // making the backend checked its options against the box (it reads, it does not shape)
            backend.close();
            out.println("config " + config + " is valid: device "
                    + Certificates.commonName(credentials.current().leaf()) + ", certificate valid until "
                    + credentials.current().leaf().getNotAfter().toInstant() + ", servers " + settings.servers()
                    + ", backend " + settings.backend() + ", TLS " + tls.providerName());
            out.flush();
            return EXIT_OK;
        }
        Agent agent = Agent.builder()
                .servers(settings.servers())
                .deviceId(settings.deviceId())
                .credentials(credentials)
                .tls(tls)
                .backend(backend)
                .stateDirectory(settings.stateDirectory())
                .settings(settings.settings())
                .build();
        LOG.info("{}: agent {} starting: servers {}, backend {}, TLS {}", agent.deviceId(),
                version(), settings.servers(), settings.backend(),
                tls.providerName());
        Thread hook = new Thread(() -> {
            try {
                agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("{}: stop did not finish cleanly: {}", agent.deviceId(), e.toString());
            }
            backend.close();
        }, "otb-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            agent.start().toCompletableFuture().join();
        } catch (RuntimeException e) {
            LOG.error("{}: cannot start: {}", agent.deviceId(), e.getCause() == null ? e : e.getCause().getMessage());
            agent.stop().toCompletableFuture().join();
            return EXIT_FAILED;
        }
        agent.terminated().toCompletableFuture().join();
        LOG.info("{}: agent ended ({})", agent.deviceId(), agent.status().phase());
        backend.close();
        return EXIT_OK;
    }

    private int selfTest() {
        long start = System.nanoTime();
        try {
            SelfTest.run(net.otb.protocol.tls.TlsProvider.parse(selfTestProvider), java.time.Duration.ofSeconds(30));
        } catch (IllegalArgumentException e) {
            err.println("otb-agent: --tls-provider: " + e.getMessage());
            err.flush();
            return EXIT_CONFIG;
        } catch (Exception e) {
            err.println("otb-agent: self-test failed: " + e);
            err.flush();
            return EXIT_FAILED;
        }
        out.printf("self-test passed: mutual TLS, hello, welcome, profile applied, confirm "
                + "(%d ms)%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        out.flush();
        return EXIT_OK;
    }

    private static CredentialStore credentials(AgentConfig settings) throws ConfigException {
        try {
            return CredentialStore.files(settings.keyFile(), settings.certificateFile(), settings.stateDirectory());
        } catch (PkiException e) {
            String field = e.getMessage().startsWith(settings.keyFile().toString()) ? AgentConfig.TLS_KEY
                    : AgentConfig.TLS_CERTIFICATE;
            throw new ConfigException(field, e.getMessage());
        }
    }

    private static List<X509Certificate> anchors(AgentConfig settings) throws ConfigException {
        try {
            return Pem.readCertificates(settings.caFile());
        } catch (PkiException e) {
            throw new ConfigException(AgentConfig.TLS_CA, e.getMessage());
        }
    }

    private static ClientTls tls(AgentConfig settings, List<X509Certificate> anchors) throws ConfigException {
        try {
            return ClientTls.of(anchors, settings.tlsProvider());
        } catch (IllegalStateException e) {
            throw new ConfigException(AgentConfig.TLS_PROVIDER, e.getMessage()
                    + " (put netty-tcnative-boringssl-static on the class path, or use tls.provider=jdk)");
        }
    }
}
