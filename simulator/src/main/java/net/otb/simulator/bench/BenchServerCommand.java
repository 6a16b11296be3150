package net.otb.simulator.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.cluster.ClusterConfig;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.device.ServiceStatus;
import net.otb.server.gateway.GatewayConfig;
import net.otb.server.store.StoreConfig;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.Provisioning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The bench's server, run in a child JVM so that its heap and CPU time are its own. It starts a
 * provisioning server, prints {@code READY agentPort httpPort provider}, then answers one command per line
 * on stdin:
 * <ul>
 *   <li>{@code seed N FIRST OFFER MODELS}: registers boxes FIRST.. and an active service each, 500 per transaction
 *       (the admin API would do the same one HTTP call at a time);</li>
 *   <li>{@code bulk N FIRST OFFER MODELS}: changes the desired offer of those services through the engine's bulk
 *       path, 1,000 per transaction, as an operator's bulk change (the gateway pushes after each commit), and answers
 *       {@code OK bulk T1,T2,…}, each batch's commit time in epoch milliseconds;</li>
 *   <li>{@code heap}: collects garbage and prints {@code HEAP usedBytes};</li>
 *   <li>{@code cpu}: prints {@code CPU processCpuNanos};</li>
 *   <li>{@code sessions}: prints {@code SESSIONS n}, the boxes whose session this instance holds;</li>
 *   <li>{@code holds S1,S2,…}: prints {@code HOLDS …}, those of the serials whose session this instance holds;</li>
 *   <li>{@code quit}.</li>
 * </ul>
 */
@Command(name = "bench-server", hidden = true, description = "The bench's server process (driven over stdin).")
public final class BenchServerCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BenchServerCommand.class);

    /** The file in the data folder where the server's API credentials of every role are written for the parent. */
    static final String CREDENTIALS = "api-credentials.json";

    @Option(names = "--data", required = true)
    Path data;

    @Option(names = "--tls", defaultValue = "openssl")
    String tls;

    @Option(names = "--agent-port", defaultValue = "0")
    int agentPort;

    @Option(names = "--http-port", defaultValue = "0")
    int httpPort;

    @Option(names = "--io-threads", defaultValue = "2")
    int ioThreads;

    @Option(names = "--db-stripes", defaultValue = "8")
    int dbStripes;

    /** Another store than the embedded H2 in {@code --data} (the fault campaign's PostgreSQL). */
    @Option(names = "--jdbc-url")
    String jdbcUrl;

    @Option(names = "--jdbc-user")
    String jdbcUser;

    @Option(names = "--jdbc-password")
    String jdbcPassword;

    /** This instance's id when several share one PostgreSQL database ({@code bench --instances N}). */
    @Option(names = "--instance-id")
    String instanceId;

    @Option(names = "--lease-seconds", defaultValue = "15")
    int leaseSeconds;

    /** {@code heartbeat,confirm,ackTimeout,sweep} in seconds (the fault campaign's short periods); the bench's by default. */
    @Option(names = "--timings", split = ",")
    int[] timings;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        ServerConfig base = ServerConfig.ephemeral(data).withTls(TlsProvider.parse(tls));
        GatewayConfig d = base.gateway();
        // a generous handshake and hello timeout: on a loaded machine a ramp of thousands queues up
        GatewayConfig gateway = new GatewayConfig(d.host(), agentPort, 30, 30, 30, 30, 10, d.maxRollbackRepush(),
                1_000_000, 1_000_000, 1_000_000, 2, ioThreads, dbStripes)
                // every box of the fleet connects from loopback: no per-address share of the unverified connections
                .withUnverifiedLimits(1_000_000, GatewayConfig.UNVERIFIED_TOTAL);
        if (timings != null) {
            if (timings.length != 4) {
                throw new IllegalArgumentException("--timings takes heartbeat,confirm,ackTimeout,sweep");
            }
            gateway = gateway.withTimings(timings[0], timings[1], timings[2], timings[3]);
        }
        ServerConfig config = base.withGateway(gateway).withHttp(base.http().withPort(httpPort));
        if (jdbcUrl != null) {
            config = config.withStore(new StoreConfig(jdbcUrl, jdbcUser, jdbcPassword, base.store().poolSize()));
        }
        if (instanceId != null) {
            config = config.withCluster(new ClusterConfig(instanceId, leaseSeconds));
        }
        try (ProvisioningServer server = ProvisioningServer.builder(config).clock(Clock.systemUTC())
                .random(new SecureRandom()).build()) {
            ProvisioningServer.Ports ports = server.start();
            Path credentials = data.resolve(CREDENTIALS);
            if (!java.nio.file.Files.exists(credentials)) {
                // one credential per role, made on the first start, read by the parent (ChildServer)
                List<net.otb.server.auth.ApiCredential> made = new java.util.ArrayList<>();
                for (net.otb.server.auth.Role role : net.otb.server.auth.Role.values()) {
                    made.add(server.createCredential("bench-" + role.wire(), role));
                }
                java.nio.file.Files.writeString(credentials, net.otb.server.auth.ApiCredential.toJson(made));
            }
            out.println("READY " + ports.agentPort() + " " + ports.httpPort() + " "
                    + TlsProvider.describe(config.tls().resolve()).replace(' ', '_'));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                String[] words = line.trim().split("\\s+");
                try {
                    switch (words[0]) {
                        case "seed" -> seed(server, Integer.parseInt(words[1]), Integer.parseInt(words[2]), words[3],
                                models(words[4]));
                        case "bulk" -> out.println("OK bulk " + bulk(server, Integer.parseInt(words[1]),
                                Integer.parseInt(words[2]), words[3], models(words[4])));
                        case "heap" -> out.println("HEAP " + heapAfterGc());
                        case "cpu" -> out.println("CPU " + processCpuNanos());
                        case "sessions" -> out.println("SESSIONS " + server.gateway().registry().size());
                        case "holds" -> out.println("HOLDS " + java.util.Arrays.stream(words[1].split(","))
                                .filter(server.gateway().registry()::isConnected)
                                .collect(java.util.stream.Collectors.joining(",")));
                        case "quit" -> {
                            out.println("BYE");
                            out.flush();
                            return 0;
                        }
                        default -> out.println("ERROR unknown command " + words[0]);
                    }
                    if (words[0].equals("seed")) {
                        out.println("OK " + words[0]);
                    }
                } catch (RuntimeException e) {
                    out.println("ERROR " + e.toString().replace('\n', ' '));
                }
                out.flush();
            }
        }
        return 0;
    }

    private static List<BoxModel> models(String list) {
        return java.util.Arrays.stream(list.split(",")).map(BoxModel::parse).toList();
    }

    private static void seed(ProvisioningServer server, int count, int first, String offer, List<BoxModel> models) {
        var context = server.context();
        for (int start = 0; start < count; start += 500) {
            int from = start;
            int to = Math.min(count, start + 500);
            context.database().inTransaction(tx -> {
                for (int offset = from; offset < to; offset++) {
                    BoxModel model = models.get(offset % models.size());
                    String serial = FleetConfig.serial(model, first + offset);
                    context.devices().register(tx, serial, model.wireName());
                    context.engine().createService(tx, new DesiredStateEngine.NewService(
                            Provisioning.serviceName(serial), "bench-account", offer, ServiceStatus.ACTIVE,
                            Provisioning.serviceIp(first + offset), serial), "bench");
                }
                return null;
            });
        }
    }

    /**
     * Commits the change 1,000 services at a time with the engine's bulk path (six statements per batch);
     * returns each batch's commit time (epoch ms), comma-separated. 1,000 as before, so that runs compare: on H2,
     * batches of 250 to 2,000 cost the same per service within noise, while one transaction of 10,000 costs almost
     * twice as much per service (H2's large transactions) and would hold every push back until it ends.
     */
    private static String bulk(ProvisioningServer server, int count, int first, String offer, List<BoxModel> models) {
        var context = server.context();
        StringBuilder commits = new StringBuilder();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuBefore = processCpuNanos();
        long ownCpuBefore = threads.getCurrentThreadCpuTime();
        long began = System.nanoTime();
        for (int start = 0; start < count; start += 1_000) {
            long batchBegan = System.nanoTime();
            long batchCpu = threads.getCurrentThreadCpuTime();
            int from = start;
            int to = Math.min(count, start + 1_000);
            List<String> names = new ArrayList<>(to - from);
            for (int offset = from; offset < to; offset++) {
                BoxModel model = models.get(offset % models.size());
                names.add(Provisioning.serviceName(FleetConfig.serial(model, first + offset)));
            }
            context.database().inTransaction(tx -> context.engine().setDesiredOffers(tx, names, offer, "bench"));
            commits.append(commits.length() == 0 ? "" : ",").append(System.currentTimeMillis());
            LOG.info("bulk to {}: services {}..{} committed in {} ms ({} ms of this thread's CPU)", offer, from, to - 1,
                    (System.nanoTime() - batchBegan) / 1_000_000,
                    (threads.getCurrentThreadCpuTime() - batchCpu) / 1_000_000);
        }
        // where the change's time goes: its own transactions (this thread), and the server's CPU meanwhile
        LOG.info("bulk to {}: {} services in {} ms; CPU meanwhile: this thread {} ms, the whole server {} ms", offer,
                count, (System.nanoTime() - began) / 1_000_000,
                (threads.getCurrentThreadCpuTime() - ownCpuBefore) / 1_000_000,
                (processCpuNanos() - cpuBefore) / 1_000_000);
        return commits.toString();
    }

    /** Heap in use after a full collection (twice: the first may leave finalizable garbage). */
    static long heapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
