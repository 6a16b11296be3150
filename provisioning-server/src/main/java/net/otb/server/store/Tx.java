package net.otb.server.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * One open transaction: statements with positional parameters, and actions to run once it has committed.
 * Instants are bound as {@code TIMESTAMP} in UTC, which H2 and PostgreSQL store alike.
 * Not thread-safe: a transaction belongs to the thread that runs its {@link TxWork}.
 */
public final class Tx {

    private final Connection connection;
    private final Clock clock;
    private final boolean h2;
    private final List<Runnable> afterCommit = new ArrayList<>();
    private final List<TxWork<?>> beforeCommit = new ArrayList<>();
    private final List<Runnable> onRollback = new ArrayList<>();
    private final java.util.Map<Object, Object> attachments = new java.util.HashMap<>(2);
    private Principal principal;

    /**
     * Who caused the work of this transaction through the HTTP API: the application key, the consumer key's id and
     * its role, all proven by the request's signature; and {@code label}, what the caller said about itself
     * ({@code X-Actor}), untrusted and possibly null. The audit log writes them beside every event.
     */
    public record Principal(String application, long consumer, String role, String label) {

        public Principal(String application, long consumer) {
            this(application, consumer, "api", null);
        }

        /** The audit's actor for this caller: {@code ROLE:CONSUMER_ID}, e.g. {@code operator:7}. */
        public String actor() {
            return role + ":" + consumer;
        }
    }

    /** Whether a statement that may write ran: only then must the commit be forced to the disk. */
    private boolean wrote;

    Tx(Connection connection, Clock clock) {
        this(connection, clock, false);
    }

    Tx(Connection connection, Clock clock, boolean h2) {
        this.connection = connection;
        this.clock = clock;
        this.h2 = h2;
    }

    /**
     * Whether the database is H2, for the few statements whose cheapest form differs (H2 never caches the plan of a
     * {@code SELECT … FOR UPDATE}: it parses one each time).
     */
    public boolean isH2() {
        return h2;
    }

    /** Sets who causes this transaction's changes (the API's dispatcher does, before the handler runs). */
    public void principal(Principal value) {
        this.principal = value;
    }

    /** Who causes this transaction's changes, or null when it is not an API call (a box, the system). */
    public Principal principal() {
        return principal;
    }

    /** The JDBC connection, for statements the helpers below do not cover. Never commit or close it. */
    public Connection connection() {
        // what the caller runs on it is unknown: count it as a write
        wrote = true;
        return connection;
    }

    public Clock clock() {
        return clock;
    }

    /** The current instant of the injected clock, truncated to milliseconds as the store keeps it. */
    public Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /**
     * Runs {@code action} after this transaction commits, in registration order; never when it rolls back.
     * An action must not be the only way something happens: a crash between the commit and the action
     * loses it, so the state it acts on must be derivable from the database (see the desired-state engine).
     */
    public void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    List<Runnable> afterCommitActions() {
        return afterCommit;
    }

    /**
     * Runs {@code work} once the transaction's own work is done, just before it commits, in registration order: where
     * the deltas a group gathered are written as a few set-based statements. It may throw {@link RetryableConflict}
     * (a conditional write found the row changed) to roll the whole attempt back and run it again.
     */
    public void beforeCommit(TxWork<?> work) {
        beforeCommit.add(work);
    }

    List<TxWork<?>> beforeCommitActions() {
        return beforeCommit;
    }

    /**
     * Runs {@code action} when this attempt rolls back (a conflict about to be retried, a failure), on the
     * transaction's thread: where memory that the attempt changed is dropped, so that the next attempt reads the
     * store again and nothing is ever answered from uncommitted state.
     */
    public void onRollback(Runnable action) {
        onRollback.add(action);
    }

    List<Runnable> onRollbackActions() {
        return onRollback;
    }

    /** A value kept for the life of this transaction, made by {@code make} on first use (one per key). */
    @SuppressWarnings("unchecked")
    public <T> T attachment(Object key, java.util.function.Supplier<T> make) {
        return (T) attachments.computeIfAbsent(key, k -> make.get());
    }

    boolean wrote() {
        return wrote;
    }

    /** Executes an INSERT, UPDATE or DELETE and returns the row count. */
    public int update(String sql, Object... args) throws SQLException {
        wrote = true;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, args);
            return statement.executeUpdate();
        }
    }

    /**
     * Executes one INSERT, UPDATE or DELETE for each row of arguments as a single JDBC batch (a few round trips
     * instead of one per row on PostgreSQL, one parsed statement on H2), in order; returns the total row count.
     */
    public int batch(String sql, List<Object[]> rows) throws SQLException {
        int total = 0;
        for (int count : batchCounts(sql, rows)) {
            // a driver may answer SUCCESS_NO_INFO (-2) for a row it did not count
            total += Math.max(count, 0);
        }
        return total;
    }

    /** {@link #batch}, with the row count of each row of arguments, in order. */
    public int[] batchCounts(String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return new int[0];
        }
        wrote = true;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (Object[] args : rows) {
                bind(statement, args);
                statement.addBatch();
            }
            return statement.executeBatch();
        }
    }

    /**
     * A SQL array of texts, to bind to {@code = ANY(?)}: one statement for a whole set of keys, with the same
     * text (so the same cached plan) whatever their number, and an index lookup on H2 and PostgreSQL alike.
     * H2 also checks each row it finds against the whole array, so keep arrays to a few thousand values.
     */
    public Array textArray(Collection<String> values) throws SQLException {
        return connection.createArrayOf("VARCHAR", values.toArray(new String[0]));
    }

    /** Executes an INSERT into a table with an identity column {@code id} and returns the new id. */
    public long insert(String sql, Object... args) throws SQLException {
        wrote = true;
        try (PreparedStatement statement = connection.prepareStatement(sql, new String[] {"id"})) {
            bind(statement, args);
            statement.executeUpdate();
            try (ResultSet keys = statement.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no generated key for: " + sql);
                }
                return keys.getLong(1);
            }
        }
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, args);
            try (ResultSet rows = statement.executeQuery()) {
                List<T> result = new ArrayList<>();
                while (rows.next()) {
                    result.add(mapper.map(rows));
                }
                return result;
            }
        }
    }

    /**
     * The single row of a query, or empty.
     *
     * @throws SQLException when the query returns more than one row
     */
    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) throws SQLException {
        List<T> rows = query(sql, mapper, args);
        if (rows.size() > 1) {
            throw new SQLException("expected at most one row, got " + rows.size() + " for: " + sql);
        }
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public long queryLong(String sql, Object... args) throws SQLException {
        return queryOne(sql, row -> row.getLong(1), args).orElse(0L);
    }

    /** Reads a {@code TIMESTAMP} column written by this class, or {@code null}. */
    public static Instant instant(ResultSet row, String column) throws SQLException {
        Timestamp value = row.getTimestamp(column, java.util.Calendar.getInstance(java.util.TimeZone.getTimeZone("UTC")));
        return value == null ? null : value.toInstant();
    }

    /** Reads a nullable {@code BIGINT} column. */
    public static Long nullableLong(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static void bind(PreparedStatement statement, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            int index = i + 1;
            if (arg == null) {
                statement.setNull(index, Types.NULL);
            } else if (arg instanceof Instant instant) {
                statement.setTimestamp(index, Timestamp.from(instant),
                        java.util.Calendar.getInstance(java.util.TimeZone.getTimeZone("UTC")));
            } else if (arg instanceof Enum<?> e) {
                statement.setString(index, e instanceof Wire w ? w.wire() : e.name());
            } else {
                statement.setObject(index, arg);
            }
        }
    }

    /** An enum stored by its wire name. */
    public interface Wire {
        String wire();
    }
}
