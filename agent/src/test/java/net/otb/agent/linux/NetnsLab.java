package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two network namespaces made for one test, a "box" and a "network", joined by a veth pair with addresses of
 * 10.231.0.0/30 that exist only inside them; an iperf3 server on the network side; throughput measured from the
 * box side. Everything is removed by {@link #close()}, and namespaces that an earlier, killed run left behind
 * (named {@code otb-box-*}, {@code otb-net-*}, older than ten minutes) by {@link #removeLeftovers}.
 * Public for the simulator's end-to-end shaping test (through the agent's test-jar).
 */
public final class NetnsLab implements AutoCloseable {

    public static final String BOX_IF = "wan0";
    public static final String NET_IF = "up0";
    public static final String BOX_IP = "10.231.0.1";
    public static final String NET_IP = "10.231.0.2";
    private static final int PORT = 5201;
    private static final Duration LEFTOVER_AGE = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(NetnsLab.class);

    private final ProcessCommandRunner shell = new ProcessCommandRunner(List.of(), Duration.ofSeconds(10));
    private final String box;
    private final String net;
    private final List<String> created = new ArrayList<>();
    private final Path serverLog;
    private Process server;

    private NetnsLab(String suffix) throws IOException {
        this.box = "otb-box-" + suffix;
        this.net = "otb-net-" + suffix;
        this.serverLog = Files.createTempFile("otb-iperf3-", ".log");
    }

    /**
     * Skips the calling test, saying why, where this machine cannot run it (not root, no netns, no IFB or HTB,
     * no iperf3); under {@code CI=true} that is a failure instead, since CI must run them.
     */
    public static void requireSupport(RandomGenerator random) {
        String missing = whatIsMissing(random);
        if (missing == null) {
            return;
        }
        String reason = "real shaping test needs " + missing;
        if ("true".equals(System.getenv("CI"))) {
            fail(reason + " (CI=true: a skip is a failure; .ci/run runs as root and installs iproute2 and iperf3)");
        }
        Assumptions.abort(reason);
    }

    private static String whatIsMissing(RandomGenerator random) {
        ProcessCommandRunner shell = new ProcessCommandRunner(List.of(), Duration.ofSeconds(10));
        try {
            CommandResult id = shell.run(List.of("id", "-u"));
            if (!id.stdout().strip().equals("0")) {
                return "root (uid is " + id.stdout().strip() + ")";
            }
            try {
                CommandResult version = shell.run(List.of("iperf3", "--version"));
                if (!version.succeeded()) {
                    return "iperf3: " + version.failureMessage();
                }
            } catch (IOException e) {
                return "iperf3 (apt-get install iperf3): " + e.getMessage();
            }
            String probe = "otb-probe-" + HexFormat.of().toHexDigits(random.nextInt());
            CommandResult add = shell.run(List.of("ip", "netns", "add", probe));
            if (!add.succeeded()) {
                return "network namespaces: " + add.failureMessage();
            }
            try {
                CommandResult ifb = shell.run(List.of("ip", "-n", probe, "link", "add", "name", "ifb9", "type", "ifb"));
                if (!ifb.succeeded()) {
                    return "the ifb module (modprobe ifb): " + ifb.failureMessage();
                }
                CommandResult htb = shell.run(List.of("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "ifb9",
                        "root", "handle", "1:", "htb"));
                if (!htb.succeeded()) {
                    return "the sch_htb module (modprobe sch_htb): " + htb.failureMessage();
                }
            } finally {
                shell.run(List.of("ip", "netns", "del", probe));
            }
            return null;
        } catch (IOException e) {
            return "iproute2 (ip, tc): " + e.getMessage();
        }
    }

    /** Removes namespaces of earlier runs that were killed before their clean-up; young ones may be in use. */
    public static void removeLeftovers() throws IOException {
        ProcessCommandRunner shell = new ProcessCommandRunner(List.of(), Duration.ofSeconds(10));
        for (String line : shell.run(List.of("ip", "netns", "list")).stdout().split("\\R")) {
            String name = line.strip().split("\\s+")[0];
            if (!name.matches("otb-(box|net)-[0-9a-f]+")) {
                continue;
            }
            Path marker = Path.of("/run/netns", name);
            FileTime made = Files.exists(marker) ? Files.getLastModifiedTime(marker) : FileTime.from(Instant.EPOCH);
            if (made.toInstant().isBefore(Instant.now().minus(LEFTOVER_AGE))) {
                LOG.info("removing namespace {} left by an earlier run", name);
                removeNamespace(shell, name);
            }
        }
    }

    /** Makes the two namespaces and the link between them. */
    public static NetnsLab create(RandomGenerator random) throws IOException {
        NetnsLab lab = new NetnsLab(HexFormat.of().toHexDigits(random.nextInt()));
        try {
            lab.setUp();
        } catch (IOException | RuntimeException | AssertionError e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void setUp() throws IOException {
        must("ip", "netns", "add", box);
        created.add(box);
        must("ip", "netns", "add", net);
        created.add(net);
        must("ip", "-n", box, "link", "add", BOX_IF, "type", "veth", "peer", "name", NET_IF, "netns", net);
        must("ip", "-n", box, "addr", "add", BOX_IP + "/30", "dev", BOX_IF);
        must("ip", "-n", net, "addr", "add", NET_IP + "/30", "dev", NET_IF);
        for (String ns : List.of(box, net)) {
            must("ip", "-n", ns, "link", "set", "lo", "up");
        }
        must("ip", "-n", box, "link", "set", BOX_IF, "up");
        must("ip", "-n", net, "link", "set", NET_IF, "up");
    }

    public String box() {
        return box;
    }

    /** A runner for the backend: every command inside the box namespace. */
    public ProcessCommandRunner boxRunner() {
        return new ProcessCommandRunner(List.of("ip", "netns", "exec", box), Duration.ofSeconds(5));
    }

    /** Starts iperf3 in the network namespace, bound to its address there, and waits until it listens. */
    public void startIperfServer() throws IOException {
        server = new ProcessBuilder("ip", "netns", "exec", net, "iperf3", "-s", "-B", NET_IP, "-p",
                Integer.toString(PORT), "--forceflush")
                .redirectInput(new File("/dev/null"))
                .redirectOutput(serverLog.toFile())
                .redirectErrorStream(true)
                .start();
        await("iperf3 server listening").atMost(Duration.ofSeconds(10))
                .until(() -> Files.readString(serverLog).contains("Server listening") || !server.isAlive());
        if (!server.isAlive()) {
            fail("iperf3 server exited: " + Files.readString(serverLog));
        }
    }

    /**
     * Measures TCP goodput through the box's interface, as the receiver counted it.
     *
     * @param download from the network to the box (iperf3 -R) rather than from the box out
     * @param seconds measured seconds, after one second left out for TCP's slow start
     * @return Mbit/s
     */
    public double measureMbps(boolean download, int seconds) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", box, "iperf3", "-c", NET_IP, "-B", BOX_IP,
                "-p", Integer.toString(PORT), "-t", Integer.toString(seconds), "-O", "1", "-J"));
        if (download) {
            argv.add("-R");
        }
        ProcessCommandRunner client = new ProcessCommandRunner(List.of(), Duration.ofSeconds(seconds + 20L));
        CommandResult result = client.run(argv);
        Object report = JsonTree.parse(result.stdout().isBlank() ? "{}" : result.stdout());
        String error = JsonTree.text(report, "error");
        if (!result.succeeded() || error != null) {
            fail("iperf3 failed: " + (error == null ? result.failureMessage() : error));
        }
        Object bits = JsonTree.at(report, "end", "sum_received", "bits_per_second");
        if (!(bits instanceof Number)) {
            fail("iperf3 reported no received rate: " + result.stdout());
        }
        double mbps = ((Number) bits).doubleValue() / 1e6;
        LOG.info("{} {} Mbit/s", download ? "download" : "upload", String.format("%.2f", mbps));
        return mbps;
    }

    /** Stops iperf3 and everything else running in the namespaces, then deletes them (and with them every device). */
    @Override
    public void close() {
        if (server != null) {
            server.destroyForcibly();
        }
        for (String ns : created) {
            try {
                removeNamespace(shell, ns);
            } catch (IOException e) {
                LOG.warn("could not remove namespace {}: {}", ns, e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(serverLog);
        } catch (IOException e) {
            LOG.debug("left {}", serverLog);
        }
    }

    private static void removeNamespace(ProcessCommandRunner shell, String ns) throws IOException {
        for (String pid : shell.run(List.of("ip", "netns", "pids", ns)).stdout().split("\\R")) {
            if (pid.strip().matches("\\d+")) {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        CommandResult del = shell.run(List.of("ip", "netns", "del", ns));
        if (!del.succeeded()) {
            LOG.warn("{}", del.failureMessage());
        }
    }

    private void must(String... argv) throws IOException {
        CommandResult result = shell.run(List.of(argv));
        if (!result.succeeded()) {
            throw new IOException(result.failureMessage());
        }
    }
}
