package net.otb.server.store.postgres;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.otb.server.testing.Haproxy;

/**
 * A PostgreSQL cluster of the test's own (the Debian package's {@code initdb} and {@code pg_ctl}, run as the
 * {@code postgres} user in a temporary folder, on a free loopback port, trust authentication for the role
 * {@code otb}), for the tests that restart the database: the shared cluster other tests run on is never restarted.
 * Skipped without the binaries or root (under {@code CI=true}, failed: {@code .ci/run} installs them and runs as root).
 */
final class PrivatePostgres implements AutoCloseable {

    private final Path bin;
    private final Path dir;
    private final int port;

    private PrivatePostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    static PrivatePostgres start() throws IOException, InterruptedException {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (bin == null || !root) {
            String why = "a private PostgreSQL needs /usr/lib/postgresql/*/bin and root (to run it as postgres)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError("CI=true but " + why);
            }
            assumeTrue(false, why);
        }
        Path dir = Files.createTempDirectory("otb-private-pg");
        run("chown", "postgres", dir.toString());
        Path data = dir.resolve("data");
        asPostgres(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "otb", "--auth=trust", "-E", "UTF8",
                "--no-sync");
        PrivatePostgres pg = new PrivatePostgres(bin, dir, Haproxy.freePort());
        pg.ctl("start");
        return pg;
    }

    /** The environment {@link PostgresSchema#create} reads, pointing at this cluster. */
    Map<String, String> environment() {
        return Map.of(PostgresSchema.URL_VARIABLE, "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                PostgresSchema.USER_VARIABLE, "otb", PostgresSchema.PASSWORD_VARIABLE, "otb");
    }

    /** {@code pg_ctl restart -m fast}: every connection is cut, the server is back when this returns. */
    void restart() throws IOException, InterruptedException {
        ctl("restart");
    }

    private void ctl(String action) throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
                dir.resolve("postgres.log").toString(), "-m", "fast", "-w", "-t", "60", "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", action);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            asPostgres(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
                    "-w", "stop");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void asPostgres(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        full.addAll(List.of(command));
        run(full.toArray(String[]::new));
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(Path.of("/").toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    private static Path findBin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString()
                            .replaceAll("\\D", "0")))).orElse(null);
        }
    }
}
