package net.otb.server.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.sql.DataSource;

/**
 * Whether the schema is already what the migrations on the class path make it, without starting Flyway: the
 * history table lists every migration found here, each applied with success and with the checksum Flyway computes
 * for its file (CRC32 of its lines). Then a start skips Flyway altogether (its scan of the class path and its
 * validation were a third of a restart after a crash, docs/benchmarks.md); on any difference, a missing table,
 * a pending or an edited migration, Flyway runs as before and reports it in its own words.
 */
final class SchemaCheck {

    static final String LOCATION = "db/migration";

    private static final Pattern VERSIONED = Pattern.compile("V([0-9][0-9_.]*)__.+\\.sql");

    private SchemaCheck() {
    }

    /** True when every migration on the class path is applied with its checksum, and nothing else is. */
    static boolean upToDate(DataSource dataSource) {
        Map<String, Integer> expected;
        try {
            expected = migrations();
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return false;
        }
        if (expected.isEmpty()) {
            return false;
        }
        Map<String, Integer> applied = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT \"version\", \"checksum\", \"success\" "
                     + "FROM \"flyway_schema_history\" WHERE \"version\" IS NOT NULL")) {
            while (rows.next()) {
                if (!rows.getBoolean(3)) {
                    connection.rollback();
                    return false;
                }
                int checksum = rows.getInt(2);
                applied.put(normalized(rows.getString(1)), rows.wasNull() ? null : checksum);
            }
            connection.rollback();
        } catch (SQLException e) {
            // no history table yet (a new database), or it cannot be read: Flyway decides
            return false;
        }
        return applied.equals(expected);
    }

    /** The versioned migrations on the class path: version → Flyway's checksum of the file. */
    static Map<String, Integer> migrations() throws IOException, URISyntaxException {
        Map<String, Integer> found = new HashMap<>();
        ClassLoader loader = SchemaCheck.class.getClassLoader();
        Enumeration<URL> roots = loader.getResources(LOCATION);
        while (roots.hasMoreElements()) {
            URL root = roots.nextElement();
            if ("jar".equals(root.getProtocol())) {
                JarURLConnection connection = (JarURLConnection) root.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        JarEntry entry = entries.nextElement();
                        String name = entry.getName();
                        if (name.startsWith(LOCATION + "/") && name.indexOf('/', LOCATION.length() + 1) < 0) {
                            add(found, name.substring(LOCATION.length() + 1), jar.getInputStream(entry));
                        }
                    }
                }
            } else if ("file".equals(root.getProtocol())) {
                try (Stream<Path> files = Files.list(Path.of(root.toURI()))) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        add(found, file.getFileName().toString(), Files.newInputStream(file));
                    }
                }
            } else {
                throw new IOException("migrations in a " + root.getProtocol() + " location: let Flyway read them");
            }
        }
        return found;
    }

    private static void add(Map<String, Integer> found, String name, InputStream in) throws IOException {
        try (in) {
            Matcher versioned = VERSIONED.matcher(name);
            if (!versioned.matches()) {
                if (name.endsWith(".sql") || name.endsWith(".java")) {
                    // a repeatable or other kind of migration: the fast path does not know it
                    throw new IOException("not a versioned SQL migration: " + name);
                }
                return;
            }
            if (found.put(normalized(versioned.group(1).replace('_', '.')), checksum(in)) != null) {
                throw new IOException("two migrations of version " + versioned.group(1));
            }
        }
    }

    /** Flyway's checksum of a migration: CRC32 over its lines, without line breaks or a leading BOM, in UTF-8. */
    static int checksum(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 4096);
        String line = reader.readLine();
        if (line != null && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
            line = line.substring(1);
        }
        while (line != null) {
            crc.update(line.getBytes(StandardCharsets.UTF_8));
            line = reader.readLine();
        }
        return (int) crc.getValue();
    }

    /** "1.0" and "1" are the same version to Flyway: trailing zero parts are dropped. */
    private static String normalized(String version) {
        String v = version;
        while (v.endsWith(".0")) {
            v = v.substring(0, v.length() - 2);
        }
        return v;
    }
}
