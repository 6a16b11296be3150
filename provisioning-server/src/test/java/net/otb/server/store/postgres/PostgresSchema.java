package net.otb.server.store.postgres;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.random.RandomGenerator;
import net.otb.server.store.StoreConfig;

/**
 * An empty schema of its own in the test PostgreSQL database named by {@code OTB_TEST_POSTGRES_URL} (with
 * {@code OTB_TEST_POSTGRES_USER} / {@code OTB_TEST_POSTGRES_PASSWORD}), dropped with everything in it at close.
 * Without the URL the calling test is skipped, saying why; under {@code CI=true} it fails instead, so CI cannot
 * pass without having run on PostgreSQL.
 */
final class PostgresSchema implements AutoCloseable {

    static final String URL_VARIABLE = "OTB_TEST_POSTGRES_URL";
    static final String USER_VARIABLE = "OTB_TEST_POSTGRES_USER";
    static final String PASSWORD_VARIABLE = "OTB_TEST_POSTGRES_PASSWORD";
    static final String WHY_MISSING = URL_VARIABLE + " is not set (e.g. jdbc:postgresql://127.0.0.1:5432/otb_test, with "
            + USER_VARIABLE + " and " + PASSWORD_VARIABLE + "); .ci/run starts PostgreSQL and sets them";

    private final String baseUrl;
    private final String user;
    private final String password;
    private final String name;

    private PostgresSchema(String baseUrl, String user, String password, String name) {
        this.baseUrl = baseUrl;
        this.user = user;
        this.password = password;
        this.name = name;
    }

    /**
     * Creates a schema with a random name, or skips (fails under CI) when no test database is configured.
     *
     * @throws SQLException when the configured database cannot be reached
     */
    static PostgresSchema create(Map<String, String> environment, RandomGenerator random) throws SQLException {
        String url = environment.get(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            String why = WHY_MISSING;
            if ("true".equalsIgnoreCase(environment.get("CI"))) {
                throw new AssertionError("CI=true but the PostgreSQL tests cannot run: " + why);
            }
            assumeTrue(false, "PostgreSQL tests skipped: " + why);
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(URL_VARIABLE + " must be a jdbc:postgresql: URL, got " + url);
        }
        byte[] suffix = new byte[6];
        random.nextBytes(suffix);
        String name = "otb_test_" + HexFormat.of().formatHex(suffix);
        PostgresSchema schema = new PostgresSchema(url, environment.get(USER_VARIABLE), environment.get(PASSWORD_VARIABLE),
                name);
        schema.execute("CREATE SCHEMA " + name);
        return schema;
    }

    String name() {
        return name;
    }

    /** The store of a server working in this schema only (PostgreSQL's search_path set by {@code currentSchema}). */
    StoreConfig store() {
        return new StoreConfig(baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + name, user, password, 10);
    }

    /** A plain connection (auto-commit) to the schema, for checks outside the server. */
    Connection connect() throws SQLException {
        StoreConfig store = store();
        return DriverManager.getConnection(store.jdbcUrl(), user, password);
    }

    private void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(baseUrl, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public void close() throws SQLException {
        execute("DROP SCHEMA " + name + " CASCADE");
    }
}
