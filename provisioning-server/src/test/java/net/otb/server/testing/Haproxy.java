package net.otb.server.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy (the Debian package) in TCP mode on 127.0.0.1, in front of the agent ports of several server
 * instances: round robin, a TCP health check every 200 ms, and a connection that cannot reach its server sent to
 * another ({@code option redispatch}). Its configuration is written by the test into a folder of its own. Without
 * {@code haproxy} on the PATH the test is skipped, saying why (under {@code CI=true} it fails: {@code .ci/run}
 * installs it).
 */
public final class Haproxy implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path config;

    private Haproxy(Process process, int port, Path config) {
        this.process = process;
        this.port = port;
        this.config = config;
    }

    /** Starts HAProxy on a free loopback port before {@code backendPorts}; returns once it accepts connections. */
    public static Haproxy start(Path dir, List<Integer> backendPorts) throws IOException, InterruptedException {
        Path binary = findBinary();
        if (binary == null) {
            String why = "haproxy is not installed (apt-get install haproxy; .ci/run does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError("CI=true but " + why);
            }
            assumeTrue(false, why);
        }
        int port = freePort();
        StringBuilder cfg = new StringBuilder()
                .append("global\n  maxconn 4000\n\n")
                .append("defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 10m\n  timeout server 10m\n")
                .append("  retries 3\n  option redispatch\n\n")
                .append("frontend agents\n  bind 127.0.0.1:").append(port).append("\n  default_backend instances\n\n")
                .append("backend instances\n  balance roundrobin\n");
        for (int i = 0; i < backendPorts.size(); i++) {
            cfg.append("  server i").append(i).append(" 127.0.0.1:").append(backendPorts.get(i))
                    .append(" check inter 200ms fall 2 rise 2\n");
        }
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("haproxy.cfg"), cfg.toString());
        Process process = new ProcessBuilder(binary.toString(), "-db", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        Haproxy haproxy = new Haproxy(process, port, config);
        try {
            // haproxy listens once it has read its config: wait for the port to accept, or the process to die
            org.awaitility.Awaitility.await("haproxy listening on 127.0.0.1:" + port)
                    .atMost(java.time.Duration.ofSeconds(20)).pollInterval(java.time.Duration.ofMillis(20))
                    .until(() -> !process.isAlive() || accepts(port));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // falls through to the refusal below
        }
        if (!process.isAlive() || !accepts(port)) {
            haproxy.close();
            throw new IOException("haproxy did not start: " + Files.readString(dir.resolve("haproxy.log")));
        }
        return haproxy;
    }

    private static boolean accepts(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public Path config() {
        return config;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** A port free on loopback now (the test's programs bind it right after). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Path findBinary() {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin")) {
            Path candidate = Path.of(dir, "haproxy");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

}
