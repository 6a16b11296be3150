package net.otb.simulator.campaign;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.simulator.lab.Folders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL instance of the campaign's own ({@code initdb} + {@code pg_ctl} in a scratch folder, on a free
 * loopback port, trust authentication on loopback only), so that a campaign can crash and restart it without
 * touching anyone else's cluster. As root, every PostgreSQL program runs as the {@code postgres} user
 * ({@code runuser}), which owns the folder. Each run gets a fresh database of its own.
 */
public final class PrivatePostgres implements AutoCloseable {

    /** The campaign's settings: a small instance, since it is restarted (crashed) often. */
    static final String SMALL = "-c shared_buffers=16MB -c max_connections=60";

    private static final Logger LOG = LoggerFactory.getLogger(PrivatePostgres.class);

    private final Path bin;
    private final Path root;
    private final Path data;
    private final int port;
    private final boolean asPostgres;
    private final String settings;

    private PrivatePostgres(Path bin, Path root, int port, boolean asPostgres, String settings) {
        this.bin = bin;
        this.root = root;
        this.data = root.resolve("data");
        this.port = port;
        this.asPostgres = asPostgres;
        this.settings = settings;
    }

    /**
     * Makes and starts an instance under {@code parent}.
     *
     * @throws IOException when PostgreSQL is not installed or does not start (the message says which)
     */
    static PrivatePostgres start(Path parent) throws IOException, InterruptedException {
        return start(parent, SMALL);
    }

    /**
     * Makes and starts an instance under {@code parent} with the given server settings ({@code -c name=value …},
     * e.g. the bench's larger shared buffers).
     *
     * @throws IOException when PostgreSQL is not installed or does not start (the message says which)
     */
    public static PrivatePostgres start(Path parent, String settings) throws IOException, InterruptedException {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        // in the temporary folder itself, not under the campaign's work folder: that one may be private to root
        // (createTempDirectory makes it rwx------), and the postgres user must reach its data folder
        Path folder = root ? Files.createTempDirectory("otb-campaign-postgres-") : Files.createTempDirectory(parent,
                "postgres-");
        PrivatePostgres pg = new PrivatePostgres(bin, folder, freePort(), root, settings);
        if (root) {
            pg.run(List.of("chown", "postgres:postgres", folder.toString()), false);
        }
        pg.run(List.of(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync"), true);
        pg.start();
        return pg;
    }

    private static Path findBin() throws IOException {
        Path versions = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(versions)) {
            try (var list = Files.list(versions)) {
                List<Path> found = list.filter(p -> Files.isExecutable(p.resolve("bin/pg_ctl")))
                        .sorted(Comparator.comparing(p -> Integer.parseInt(p.getFileName().toString().replaceAll("\\D", "0"))))
                        .toList();
                if (!found.isEmpty()) {
                    return found.get(found.size() - 1).resolve("bin");
                }
            }
        }
        throw new IOException("no PostgreSQL server programs in /usr/lib/postgresql/*/bin (apt-get install postgresql)");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts the instance and waits until it accepts connections. */
    void start() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("postgres.log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1"
                        + " " + settings, "start"), true);
    }

    /** Kills the instance the way a crash would ({@code immediate}: no checkpoint; recovery replays the WAL at start). */
    void crash() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
    }

    public int port() {
        return port;
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A fresh database for one run. */
    public String createDatabase(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name);
            s.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    void dropDatabase(String name) {
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            LOG.warn("cannot drop the campaign database {}: {}", name, e.getMessage());
        }
    }

    private void run(List<String> command, boolean postgresUser) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (postgresUser && asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Path output = Files.createTempFile(root, "cmd-", ".out");
        if (asPostgres) {
            Files.setPosixFilePermissions(output, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        }
        Process process = new ProcessBuilder(full).directory(Path.of("/").toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 120 s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
                    + Files.readString(output, StandardCharsets.UTF_8).strip());
        }
        Files.deleteIfExists(output);
    }

    @Override
    public void close() {
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), true);
        } catch (IOException | InterruptedException e) {
            LOG.warn("the campaign's PostgreSQL did not stop cleanly: {}", e.toString());
        }
        Folders.deleteQuietly(root);
    }
}
