package net.otb.server.desired;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.otb.server.store.Tx;

/** The {@code push_tasks} table. Stateless; every method runs in the caller's transaction. */
public final class PushTasks {

    private static final String COLUMNS = "id, device_id, service_name, kind, generation, state, outcome, attempts, "
            + "rollbacks, created_at, updated_at, sent_at, done_at, detail";

    private static final String SUPERSEDE = "UPDATE push_tasks SET state = ?, outcome = 'superseded', detail = ?, "
            + "updated_at = ?, done_at = ? WHERE device_id = ? AND service_name = ? AND kind = ? AND generation < ? "
            + "AND state IN (?, ?)";

    /** The condition of the writes that take a task only as its caller read it: id, state, outcome ('' for none). */
    private static final String AS_READ = "WHERE id = ? AND state = ? AND COALESCE(outcome, '') = ?";

    /** A box's task of one kind for one service at one generation. */
    public record TaskKey(String deviceId, String serviceName, TaskKind kind, long generation) {
    }

    public Optional<PushTask> find(Tx tx, String deviceId, String serviceName, TaskKind kind, long generation)
            throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM push_tasks WHERE device_id = ? AND service_name = ? "
                + "AND kind = ? AND generation = ?", PushTasks::map, deviceId, serviceName, kind, generation);
    }

    /** The task, created {@code todo} when absent. */
    public PushTask ensure(Tx tx, String deviceId, String serviceName, TaskKind kind, long generation)
            throws SQLException {
        Optional<PushTask> existing = find(tx, deviceId, serviceName, kind, generation);
        if (existing.isPresent()) {
            return existing.get();
        }
        Instant now = tx.now();
        tx.update("INSERT INTO push_tasks (device_id, service_name, kind, generation, state, attempts, rollbacks, "
                + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)",
                deviceId, serviceName, kind, generation, TaskState.QUEUED, now, now);
        return find(tx, deviceId, serviceName, kind, generation).orElseThrow();
    }

    /** Closes the box's open tasks of {@code kind} for the service below {@code generation}, as superseded. */
    public int supersede(Tx tx, String deviceId, String serviceName, TaskKind kind, long belowGeneration, String detail)
            throws SQLException {
        Instant now = tx.now();
        return tx.update(SUPERSEDE, TaskState.DONE, detail, now, now, deviceId, serviceName, kind, belowGeneration,
                TaskState.QUEUED, TaskState.DOING);
    }

    /**
     * {@link #ensure} for many tasks at once, as one JDBC batch: each is created {@code todo} unless it exists.
     * Created in the order given (their ids grow in that order).
     *
     * @return how many were created
     */
    public int ensureAll(Tx tx, List<TaskKey> keys) throws SQLException {
        Instant now = tx.now();
        List<Object[]> rows = new ArrayList<>(keys.size());
        for (TaskKey key : keys) {
            rows.add(new Object[] {key.deviceId(), key.serviceName(), key.kind(), key.generation(), TaskState.QUEUED, now,
                    now, key.deviceId(), key.serviceName(), key.kind(), key.generation()});
        }
        // the casts type the parameters of the SELECT list, which PostgreSQL would otherwise take for text
        return tx.batch("INSERT INTO push_tasks (device_id, service_name, kind, generation, state, attempts, rollbacks, "
                + "created_at, updated_at) SELECT CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(128)), CAST(? AS VARCHAR(16)), "
                + "CAST(? AS BIGINT), CAST(? AS VARCHAR(8)), 0, 0, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP) "
                + "WHERE NOT EXISTS (SELECT 1 FROM push_tasks WHERE device_id = ? AND service_name = ? AND kind = ? "
                + "AND generation = ?)", rows);
    }

    /**
     * {@link #supersede} for many tasks at once, as one JDBC batch: for each key, closes the box's open tasks of
     * that kind for that service below the key's generation, with the detail "superseded by generation N".
     */
    public int supersedeAll(Tx tx, List<TaskKey> below) throws SQLException {
        Instant now = tx.now();
        List<Object[]> rows = new ArrayList<>(below.size());
        for (TaskKey key : below) {
            rows.add(new Object[] {TaskState.DONE, "superseded by generation " + key.generation(), now, now,
                    key.deviceId(), key.serviceName(), key.kind(), key.generation(), TaskState.QUEUED, TaskState.DOING});
        }
        return tx.batch(SUPERSEDE, rows);
    }

    /**
     * Marks the task sent on the box's session of fencing {@code token}, in one conditional statement: refused
     * (false, nothing written) when the box's row holds another token, i.e. a newer session took the box, or when
     * the task is no longer open: another transaction finished it (superseded, the service moved to another box)
     * after the caller read it open, and a finished task must never be reopened as {@code doing}.
     */
    public boolean markSent(Tx tx, long id, String deviceId, long token) throws SQLException {
        Instant now = tx.now();
        return tx.update("UPDATE push_tasks SET state = ?, attempts = attempts + 1, sent_at = ?, updated_at = ? "
                + "WHERE id = ? AND state IN (?, ?) AND EXISTS (SELECT 1 FROM devices WHERE id = ? AND owner_token = ?)",
                TaskState.DOING, now, now, id, TaskState.QUEUED, TaskState.DOING, deviceId, token) == 1;
    }

    public void finish(Tx tx, long id, TaskState state, String outcome, String detail) throws SQLException {
        Instant now = tx.now();
        tx.update("UPDATE push_tasks SET state = ?, outcome = ?, detail = ?, updated_at = ?, done_at = ? WHERE id = ?",
                state, outcome, detail, now, now, id);
    }

    /**
     * {@link #finish} in one conditional statement: only while the task is still as the caller read it, in state
     * {@code read} with outcome {@code readOutcome} (null while open). False, nothing written, when another
     * transaction finished or reopened it since (a change superseded it, a shipment closed it): a task's end is
     * written once, by whoever gets there first.
     */
    public boolean finishIf(Tx tx, long id, TaskState read, String readOutcome, TaskState state, String outcome,
            String detail) throws SQLException {
        Instant now = tx.now();
        return tx.update("UPDATE push_tasks SET state = ?, outcome = ?, detail = ?, updated_at = ?, done_at = ? "
                + AS_READ, state, outcome, detail, now, now, id, read, readOutcome == null ? "" : readOutcome) == 1;
    }

    /**
     * Puts a rolled-back task back to {@code todo}, counting the rollback, in one conditional statement: only while
     * the task is still as the caller read it (see {@link #finishIf}); false, nothing written, otherwise.
     */
    public boolean rolledBack(Tx tx, long id, TaskState read, String readOutcome, String detail) throws SQLException {
        return tx.update("UPDATE push_tasks SET state = ?, rollbacks = rollbacks + 1, detail = ?, updated_at = ? "
                + AS_READ, TaskState.QUEUED, detail, tx.now(), id, read, readOutcome == null ? "" : readOutcome) == 1;
    }

    public List<PushTask> byService(Tx tx, String serviceName, int limit) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM push_tasks WHERE service_name = ? ORDER BY id DESC LIMIT ?",
                PushTasks::map, serviceName, limit);
    }

    public List<PushTask> byDevice(Tx tx, String deviceId, int limit) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM push_tasks WHERE device_id = ? ORDER BY id DESC LIMIT ?",
                PushTasks::map, deviceId, limit);
    }

    /** The newest tasks in {@code state}, newest first (the console lists those in {@code error} with their reasons). */
    public List<PushTask> byState(Tx tx, TaskState state, int limit) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM push_tasks WHERE state = ? ORDER BY id DESC LIMIT ?",
                PushTasks::map, state, limit);
    }

    /** Boxes with a task to send now: {@code todo}, or {@code doing} and sent before {@code sentBefore}. */
    public List<String> devicesDue(Tx tx, Instant sentBefore, int limit) throws SQLException {
        // "state IN" first so that the state index is used: an OR of the two states scanned every task ever
        // made (one per box and change), every sweep
        return tx.query("SELECT DISTINCT device_id FROM push_tasks WHERE state IN (?, ?) AND (state = ? OR sent_at < ?) "
                + "ORDER BY device_id LIMIT ?", row -> row.getString(1), TaskState.QUEUED, TaskState.DOING,
                TaskState.QUEUED, sentBefore, limit);
    }

    public Map<String, Long> countByState(Tx tx) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (TaskState state : TaskState.values()) {
            counts.put(state.wire(), 0L);
        }
        tx.query("SELECT state, COUNT(*) FROM push_tasks GROUP BY state", row -> {
            counts.put(row.getString(1), row.getLong(2));
            return null;
        });
        return counts;
    }

    static PushTask map(ResultSet row) throws SQLException {
        return new PushTask(row.getLong("id"), row.getString("device_id"), row.getString("service_name"),
                TaskKind.fromWire(row.getString("kind")), row.getLong("generation"),
                TaskState.fromWire(row.getString("state")), row.getString("outcome"), row.getInt("attempts"),
                row.getInt("rollbacks"), Tx.instant(row, "created_at"), Tx.instant(row, "updated_at"),
                Tx.instant(row, "sent_at"), Tx.instant(row, "done_at"), row.getString("detail"));
    }
}
