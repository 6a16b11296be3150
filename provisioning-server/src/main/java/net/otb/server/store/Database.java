package net.otb.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import javax.sql.DataSource;
import net.otb.protocol.LogSafe;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store: a HikariCP pool, the schema migrated by Flyway at open ({@code db/migration}), and
 * transactions at READ COMMITTED where the rows that decide a change are locked with
 * {@code SELECT … FOR UPDATE}. A transaction that the database aborts for a conflict (serialization
 * failure, deadlock, lock timeout, H2's concurrent update) or that throws {@link RetryableConflict} is
 * rolled back and run again, a few times, with a small random pause. On an H2 file database a transaction
 * that wrote returns only once its commit is forced to the disk ({@link GroupSync}: one {@code fsync} per group of
 * concurrent commits); PostgreSQL does that itself ({@code fsync=on}, {@code synchronous_commit=on}). Thread-safe.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** How many times a conflicting transaction runs before the conflict is reported. */
    public static final int MAX_ATTEMPTS = 8;

    /** SQL states that mean "run it again": serialization failure, PostgreSQL deadlock, lock timeouts. */
    private static final Set<String> RETRYABLE_STATES = Set.of("40001", "40P01", "55P03", "HYT00", "90131");

    /** How long a PostgreSQL transaction waits for a locked row, as H2's LOCK_TIMEOUT in the default URL. */
    private static final int POSTGRES_LOCK_TIMEOUT_MILLIS = 10_000;

    /** Statements H2 keeps parsed per connection: more than the store's distinct statements. */
    private static final int H2_QUERY_CACHE = 256;

    /**
     * Identity values H2 hands out from memory between two writes of the sequence's high-water mark to the schema
     * (H2's default is 32). See {@link #widenIdentityCaches}.
     */
    static final long H2_IDENTITY_CACHE = 16_384;

    private final HikariDataSource dataSource;
    private final Clock clock;
    private final RandomGenerator random;
    /** {@code null} unless the database is an H2 file, whose commits this class forces to the disk. */
    private final GroupSync groupSync;
    private final boolean h2;

    private Database(HikariDataSource dataSource, Clock clock, RandomGenerator random, GroupSync groupSync) {
        this.h2 = dataSource.getJdbcUrl().startsWith("jdbc:h2:");
        this.dataSource = dataSource;
        this.clock = clock;
        this.random = random;
        this.groupSync = groupSync;
    }

    /**
     * Opens the pool and brings the schema up to date.
     *
     * @throws StoreException when the database cannot be reached or a migration fails
     */
    public static Database open(StoreConfig config, Clock clock, RandomGenerator random) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(withStatementCache(config.jdbcUrl()));
        if (config.user() != null) {
            hikari.setUsername(config.user());
        }
        if (config.password() != null) {
            hikari.setPassword(config.password());
        }
        if (config.jdbcUrl().startsWith("jdbc:postgresql:") && !config.jdbcUrl().contains("lock_timeout")) {
            // PostgreSQL waits for a locked row without limit; H2 gives up after LOCK_TIMEOUT. Bound it the same
            // way so that a stuck transaction ends in a retry (SQL state 55P03 is retryable), never a hung request.
            // Options given in the URL replace this default.
            hikari.addDataSourceProperty("options", "-c lock_timeout=" + POSTGRES_LOCK_TIMEOUT_MILLIS);
        }
        hikari.setMaximumPoolSize(config.poolSize());
        hikari.setAutoCommit(false);
        hikari.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        hikari.setPoolName("otb-store");
        hikari.setConnectionTimeout(10_000);
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            String root = rootMessage(e);
            if (config.jdbcUrl().startsWith("jdbc:h2:") && root != null
                    && (root.contains("already in use") || root.contains("file is locked"))) {
                throw new StoreException("the H2 database " + redact(config.jdbcUrl()) + " is in use by another "
                        + "process: H2 is the single-instance embedded store, several instances need PostgreSQL "
                        + "(--jdbc-url jdbc:postgresql://…, see docs/scale-out.md)", e);
            }
            throw new StoreException("cannot open the database " + redact(config.jdbcUrl()) + ": " + root, e);
        }
        try {
            if (SchemaCheck.upToDate(dataSource)) {
                LOG.debug("schema up to date with the migrations on the class path: Flyway not needed");
            } else {
                migrate(dataSource);
            }
        } catch (RuntimeException e) {
            dataSource.close();
            throw new StoreException("cannot migrate the schema of " + redact(config.jdbcUrl()) + ": " + rootMessage(e), e);
        }
        if (config.jdbcUrl().startsWith("jdbc:h2:")) {
            try (Connection connection = dataSource.getConnection()) {
                widenIdentityCaches(connection);
            } catch (SQLException e) {
                dataSource.close();
                throw new StoreException("cannot set the identity caches of " + redact(config.jdbcUrl()) + ": "
                        + e.getMessage(), e);
            }
        }
        GroupSync groupSync = null;
        if (GroupSync.appliesTo(config.jdbcUrl())) {
            try (Connection connection = dataSource.getConnection()) {
                GroupSync.check(connection);
            } catch (SQLException e) {
                dataSource.close();
                throw new StoreException("cannot force the commits of " + redact(config.jdbcUrl())
                        + " to the disk (CHECKPOINT SYNC; the H2 user must be an admin): " + e.getMessage(), e);
            }
            groupSync = new GroupSync();
        }
        LOG.info("store open: {}{}", redact(config.jdbcUrl()), groupSync == null ? "" : " (fsync per group commit)");
        return new Database(dataSource, clock, random, groupSync);
    }

    /** Brings the schema up to date with Flyway (the migrations in {@code db/migration}). */
    private static void migrate(DataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:" + SchemaCheck.LOCATION)
                // the migration workflow's scripts (V2xx) and later fixes of the core schema (V1_x) interleave
                .outOfOrder(true)
                .load()
                .migrate();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Clock clock() {
        return clock;
    }

    /** Whether this is H2 (the single-instance embedded store) rather than PostgreSQL. */
    public boolean isH2() {
        return dataSource.getJdbcUrl().startsWith("jdbc:h2:");
    }

    /** Whether this H2 database could be opened by several processes (server mode), unlike an embedded file. */
    public boolean isSharedH2() {
        String url = dataSource.getJdbcUrl().toUpperCase(java.util.Locale.ROOT);
        return url.startsWith("JDBC:H2:TCP:") || url.startsWith("JDBC:H2:SSL:") || url.contains("AUTO_SERVER=TRUE");
    }

    /**
     * Runs {@code work} in a transaction and commits it, then runs its after-commit actions. The work may
     * run several times on conflicts, so it must have no effect outside the transaction except through
     * {@link Tx#afterCommit}. A runtime exception thrown by the work rolls back and propagates unchanged.
     *
     * @throws StoreException when the database fails, or still conflicts after {@link #MAX_ATTEMPTS}
     */
    public <T> T inTransaction(TxWork<T> work) {
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Tx tx;
            T result;
            try (Connection connection = dataSource.getConnection()) {
                tx = new Tx(connection, clock, h2);
                try {
                    result = work.run(tx);
                    for (TxWork<?> before : tx.beforeCommitActions()) {
                        before.run(tx);
                    }
                    connection.commit();
                } catch (SQLException e) {
                    rollback(connection, tx);
                    if (!isRetryable(e)) {
                        throw new StoreException("database failure: " + e.getMessage(), e);
                    }
                    last = e;
                    pause(attempt);
                    continue;
                } catch (RetryableConflict e) {
                    rollback(connection, tx);
                    last = new SQLException(e.getMessage(), "40001");
                    pause(attempt);
                    continue;
                } catch (RuntimeException | Error e) {
                    rollback(connection, tx);
                    throw e;
                }
                if (groupSync != null && tx.wrote()) {
                    // outside the retry above: the work is committed and must never run twice
                    try {
                        groupSync.afterCommit(connection);
                    } catch (SQLException e) {
                        // committed, perhaps not on the disk: not answered as done; the sweeps derive the rest
                        throw new StoreException("committed, but cannot force the commit to the disk: "
                                + e.getMessage(), e);
                    }
                }
            } catch (SQLException e) {
                throw new StoreException("database unavailable: " + e.getMessage(), e);
            }
            runAfterCommit(tx.afterCommitActions());
            return result;
        }
        throw new StoreException("the transaction kept conflicting after " + MAX_ATTEMPTS + " attempts: "
                + (last == null ? "" : last.getMessage()), last);
    }

    /** Whether the database is reachable: a pooled connection answers a trivial query. */
    public boolean isHealthy() {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (dataSource.getJdbcUrl().startsWith("jdbc:h2:")) {
            // an H2 file database compacts and closes its files cleanly on SHUTDOWN
            try (Connection connection = dataSource.getConnection()) {
                connection.createStatement().execute("SHUTDOWN");
            } catch (SQLException e) {
                LOG.debug("H2 shutdown: {}", LogSafe.quote(e.getMessage()));
            }
        }
        dataSource.close();
        LOG.info("store closed");
    }

    /** Whether the database aborted the transaction for a conflict that another attempt may not meet. */
    public static boolean isRetryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && RETRYABLE_STATES.contains(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** Whether the statement failed on a unique or primary key (SQL state 23505 on H2 and PostgreSQL). */
    public static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    private void pause(int attempt) {
        long bound = Math.min(200, 5L << attempt);
        try {
            Thread.sleep(1 + random.nextLong(bound));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while retrying a transaction", e);
        }
    }

    private static void runAfterCommit(List<Runnable> actions) {
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                // the commit stands; the state the action acts on stays in the database for the next reconcile
                LOG.warn("after-commit action failed", e);
            }
        }
    }

    private static void rollback(Connection connection, Tx tx) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback failed: {}", LogSafe.quote(e.getMessage()));
        }
        for (Runnable action : tx.onRollbackActions()) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("rollback action failed", e);
            }
        }
    }

    /**
     * H2 re-parses any statement missing from its per-connection query cache, 8 statements by default: a
     * hello or an ack runs more distinct statements than that, so each would be parsed every time.
     */
    static String withStatementCache(String url) {
        if (url.startsWith("jdbc:h2:") && !url.toUpperCase(java.util.Locale.ROOT).contains("QUERY_CACHE_SIZE")) {
            return url + ";QUERY_CACHE_SIZE=" + H2_QUERY_CACHE;
        }
        return url;
    }

    /**
     * Gives every identity column of an H2 database a cache of {@link #H2_IDENTITY_CACHE} values (a no-op when they
     * have it). With H2's default of 32, every 32nd row inserted into {@code audit_events} or {@code push_tasks}
     * makes H2 write the sequence's new high-water mark to its schema in a transaction of its own: a full MVStore
     * store of every page dirty at that moment (in a bulk change, the whole batch's), and a schema change that
     * empties every connection's query cache, so each connection parses its statements again. JFR of the fleet
     * bench put 22 % of the server's samples during a bulk change there. A crash loses at most the unused rest of
     * a cache: ids jump, they never repeat nor go back (H2 restarts above the written high-water mark). PostgreSQL
     * keeps its default (a cache per session would hand out ids out of commit order across connections).
     */
    static void widenIdentityCaches(Connection connection) throws SQLException {
        List<String> narrow = new java.util.ArrayList<>();
        try (java.sql.PreparedStatement query = connection.prepareStatement("SELECT TABLE_SCHEMA, TABLE_NAME, "
                + "COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE IS_IDENTITY = 'YES' AND IDENTITY_CACHE < ?")) {
            query.setLong(1, H2_IDENTITY_CACHE);
            try (java.sql.ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    narrow.add("ALTER TABLE " + quoted(rows.getString(1)) + "." + quoted(rows.getString(2))
                            + " ALTER COLUMN " + quoted(rows.getString(3)) + " SET CACHE " + H2_IDENTITY_CACHE);
                }
            }
        }
        try (java.sql.Statement alter = connection.createStatement()) {
            for (String statement : narrow) {
                alter.execute(statement);
            }
        }
        connection.commit();
        if (!narrow.isEmpty()) {
            LOG.info("H2: {} identity columns now cache {} values", narrow.size(), H2_IDENTITY_CACHE);
        }
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
