package net.otb.simulator.fleet;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.URI;
import javax.net.ssl.SSLContext;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.ApiSigner;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.otb.agent.ServerAddress;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.Provisioning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulator fleet}: connects N simulated boxes to a running server and reports what they do until
 * stopped (Ctrl-C) or for {@code --duration}. Box certificates are issued in memory from the dev PKI folder the
 * server trusts; {@code --register} also registers the boxes and gives each a service through the admin API.
 */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = "Connect a fleet of simulated boxes (real agents) to a running provisioning server.")
public final class FleetCommand implements Callable<Integer> {

    @Option(names = "--server", required = true, description = "the agent gateway, HOST:PORT (the server certificate must name HOST)")
    String server;

    @Option(names = "--devices", defaultValue = "100", description = "how many boxes (default: ${DEFAULT-VALUE})")
    int devices;

    @Option(names = "--pki", required = true, description = "the dev PKI folder whose CA the server trusts (ca.crt, ca.key)")
    Path pki;

    @Option(names = "--http", description = "the server's HTTPS API, e.g. https://127.0.0.1:8080/ (needed by --register)")
    URI http;

    @Option(names = "--credentials", description = "an operator credential file made by 'otb-server create-credential --role operator --output FILE' (needed by --register)")
    Path credentials;

    @Option(names = "--register", description = "register the boxes and create one active service each (needs --http)")
    boolean register;

    @Option(names = "--offer", defaultValue = "starter.v1", description = "the services' offer with --register (default: ${DEFAULT-VALUE})")
    String offer;

    @Option(names = "--first", defaultValue = "1", description = "number in the first box's serial (default: ${DEFAULT-VALUE})")
    int first;

    @Option(names = "--models", defaultValue = "v2b,v2c,v3", description = "models, round-robin (default: ${DEFAULT-VALUE})")
    String models;

    @Option(names = "--tls", defaultValue = "auto", description = "the agents' TLS engine: auto, openssl, jdk (default: ${DEFAULT-VALUE})")
    String tls;

    @Option(names = "--state-dir", description = "keep each box's state.json in DIR/SERIAL (tmpfs advised); default: in memory")
    Path stateDir;

    @Option(names = "--duration", defaultValue = "0", description = "seconds to run, 0 = until Ctrl-C (default: ${DEFAULT-VALUE})")
    long duration;

    @Option(names = "--threads", defaultValue = "2", description = "event-loop threads shared by all agents (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws Exception {
        ServerAddress address;
        TlsProvider provider;
        List<BoxModel> modelList;
        try {
            address = ServerAddress.parse(server);
            provider = TlsProvider.parse(tls);
            modelList = Arrays.stream(models.split(",")).map(BoxModel::parse).toList();
            if (register && (http == null || credentials == null)) {
                throw new IllegalArgumentException("--register needs --http and --credentials");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("fleet: " + e.getMessage());
            return 2;
        }
        DevPki devPki;
        try {
            devPki = DevPki.open(pki, Clock.systemUTC(), new SecureRandom());
        } catch (PkiException e) {
            System.err.println("fleet: " + e.getMessage());
            return 2;
        }
        FleetConfig config = FleetConfig.of(devices, provider).withFirstIndex(first).withModels(modelList)
                .withStateRoot(stateDir);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(stop::countDown, "fleet-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Fleet fleet = Fleet.build(config, devPki::deviceCredentialsInMemory,
                ClientTls.of(List.of(devPki.caCertificate()), provider), List.of(address), group, Clock.systemUTC(),
                System.nanoTime(), FleetListener.NONE)) {
            System.out.printf("%d boxes (%s), certificates issued in %.1f s, TLS %s%n", devices, models,
                    fleet.credentialsTime().toMillis() / 1e3, fleet.tlsProviderName());
            if (register) {
                // the API's certificate is the dev PKI's server certificate: trust its CA; sign on the server's time
                SSLContext trust = ApiSigner.trusting(List.of(devPki.caCertificate()));
                Duration drift = ServerApi.timeDrift(http, trust, Duration.ofSeconds(30));
                ApiAccess access = new ApiAccess(http, trust, new ApiSigner(ApiCredential.read(credentials),
                        Clock.offset(Clock.systemUTC(), drift)));
                new Provisioning(new ServerApi(access, Duration.ofSeconds(30)), 16).registerAll(fleet.devices(), offer,
                        done -> System.out.printf("registered %d/%d%n", done, devices));
            }
            fleet.start();
            long end = duration == 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(duration);
            while (System.nanoTime() < end && !stop.await(5, TimeUnit.SECONDS)) {
                System.out.println(status(fleet));
            }
            System.out.println("final: " + status(fleet));
            return fleet.connected() == devices ? 0 : 1;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook has run
            }
        }
    }

    static String status(Fleet fleet) {
        Map<String, Integer> byOffer = new TreeMap<>();
        int rejected = 0;
        int rolledBack = 0;
        int decommissioned = 0;
        for (SimulatedDevice device : fleet.devices()) {
            BandwidthProfile confirmed = device.confirmedProfile();
            if (confirmed != null) {
                byOffer.merge(confirmed.offer(), 1, Integer::sum);
            }
            rejected += device.rejections() > 0 ? 1 : 0;
            rolledBack += device.rollbacks() > 0 ? 1 : 0;
            decommissioned += device.decommissioned() != null ? 1 : 0;
        }
        return String.format("sessions %d/%d; confirmed by offer %s; boxes with rejections %d, rollbacks %d; decommissioned %d",
                fleet.connected(), fleet.devices().size(), byOffer, rejected, rolledBack, decommissioned);
    }
}
