package net.otb.agent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code otb-agent --config FILE [--check-config]}: runs the agent until it is stopped (SIGTERM) or
 * decommissioned. Exit codes: 0 stopped, 1 failed while running (unreadable state, backend unusable),
 * 2 bad configuration or command line (one line on stderr naming the field).
 */
@Command(name = "otb-agent", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
        description = "The OverTheBox agent: applies the bandwidth profile the provisioning server pushes.")
public final class AgentMain implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_CONFIG = 2;

    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    @Option(names = "--config", paramLabel = "FILE", description = "the agent's properties file")
    private Path config;

    @Option(names = "--self-test", description = "run one whole session on loopback with a throwaway CA, then exit "
            + "(checks this runtime; trains the class-data-sharing archive of jlink.sh)")
    private boolean selfTest;

    @Option(names = "--tls-provider", paramLabel = "PROVIDER", defaultValue = "jdk",
            description = "with --self-test: jdk, openssl or auto (default ${DEFAULT-VALUE})")
    private String selfTestProvider;

    @Option(names = "--check-config", description = "check the config, keys, CA and backend options, then exit")
    private boolean checkOnly;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // one connection needs no pooled arenas: unpooled buffers save ~5 MB of RSS on a box (measured)
        if (System.getProperty("io.netty.allocator.type") == null) {
            System.setProperty("io.netty.allocator.type", "unpooled");
        }
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (selfTest) {
            return selfTest(err);
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
            spec.commandLine().getOut().println("config " + config + " is valid: device "
                    + Certificates.commonName(credentials.current().leaf()) + ", certificate valid until "
                    + credentials.current().leaf().getNotAfter().toInstant() + ", servers " + settings.servers()
                    + ", backend " + settings.backend() + ", TLS " + tls.providerName());
            spec.commandLine().getOut().flush();
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
                AgentMain.class.getPackage().getImplementationVersion(), settings.servers(), settings.backend(),
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

    private int selfTest(PrintWriter err) {
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
        spec.commandLine().getOut().printf("self-test passed: mutual TLS, hello, welcome, profile applied, confirm "
                + "(%d ms)%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        spec.commandLine().getOut().flush();
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

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = AgentMain.class.getPackage().getImplementationVersion();
            return new String[] {"otb-agent " + (version == null ? "dev" : version)};
        }
    }
}
