package net.otb.server.desired;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.otb.server.device.DeviceState;
import net.otb.server.store.RetryableConflict;
import net.otb.server.store.Tx;

/**
 * {@link BoxStore} on the SQL schema, the same statements on H2 and PostgreSQL. Loads take a whole group of boxes in
 * four statements ({@code = ANY(?)}: one cached plan whatever the group's size, an index lookup on both). Writes are
 * held back until the transaction is about to commit and then sent as one JDBC batch per statement: the writes of
 * all the boxes of a stripe's group, a few statements instead of a dozen per box. A box's writes keep their order
 * (the n-th write of every box goes in the n-th round of batches); a conditional write that changed no row fails the
 * attempt ({@link RetryableConflict}), which the store runs again on what it then holds.
 */
final class SqlBoxStore implements BoxStore {

    private static final String DEVICE_COLUMNS = "id, model, state, firmware, agent_version, cert_serial, first_seen_at, "
            + "applied_service, applied_generation, state_detail, owner_instance, owner_token";

    private static final String LOAD_DEVICES = "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE id = ANY(?)";

    private static final String LOAD_SERVICES = "SELECT s.device_id, s.name, s.desired_generation, p.offer, p.down_kbps, "
            + "p.up_kbps, p.service_ip, p.actor, p.created_at FROM services s LEFT JOIN desired_profiles p "
            + "ON p.service_name = s.name AND p.generation = s.desired_generation WHERE s.device_id = ANY(?)";

    private static final String LOAD_TASKS = "SELECT t.device_id, t.state, t.outcome, t.attempts, t.rollbacks, t.sent_at "
            + "FROM services s JOIN push_tasks t ON t.device_id = s.device_id AND t.service_name = s.name "
            + "AND t.kind = ? AND t.generation = s.desired_generation WHERE s.device_id = ANY(?)";

    private static final String LOAD_OLDER_OPEN = "SELECT t.device_id, COUNT(*) FROM services s JOIN push_tasks t "
            + "ON t.device_id = s.device_id AND t.service_name = s.name AND t.kind = ? "
            + "AND t.generation < s.desired_generation WHERE s.device_id = ANY(?) AND t.state IN (?, ?) "
            + "GROUP BY t.device_id";

    private static final String HELLO = "UPDATE devices SET model = ?, firmware = ?, agent_version = ?, cert_serial = ?, "
            + "last_seen_at = ?, first_seen_at = COALESCE(first_seen_at, ?), "
            + "state = CASE WHEN state = ? THEN ? ELSE state END, owner_instance = ?, owner_token = ? "
            + "WHERE id = ? AND owner_token = ?";

    private static final String APPLIED = "UPDATE devices SET applied_service = ?, applied_generation = ?, "
            + "applied_offer = ?, applied_at = ? WHERE id = ? AND owner_token = ?";

    private static final String SET_STATE = "UPDATE devices SET state = ?, state_detail = ? WHERE id = ?";

    private static final String TASK_KEY = "device_id = ? AND service_name = ? AND kind = ? AND generation = ?";

    // the casts type the parameters of the SELECT list, which PostgreSQL would otherwise take for text
    private static final String CREATE_TASK = "INSERT INTO push_tasks (device_id, service_name, kind, generation, state, "
            + "attempts, rollbacks, created_at, updated_at) SELECT CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(128)), "
            + "CAST(? AS VARCHAR(16)), CAST(? AS BIGINT), CAST(? AS VARCHAR(8)), 0, 0, CAST(? AS TIMESTAMP), "
            + "CAST(? AS TIMESTAMP) WHERE NOT EXISTS (SELECT 1 FROM push_tasks WHERE " + TASK_KEY + ")";

    private static final String SENT = "UPDATE push_tasks SET state = ?, attempts = attempts + 1, sent_at = ?, "
            + "updated_at = ? WHERE " + TASK_KEY + " AND state IN (?, ?) "
            + "AND EXISTS (SELECT 1 FROM devices WHERE id = ? AND owner_token = ?)";

    private static final String FINISH = "UPDATE push_tasks SET state = ?, outcome = ?, detail = ?, updated_at = ?, "
            + "done_at = ? WHERE " + TASK_KEY;

    private static final String FINISH_OPEN = FINISH + " AND state IN (?, ?)";

    private static final String REOPEN = "UPDATE push_tasks SET state = ?, rollbacks = rollbacks + 1, detail = ?, "
            + "updated_at = ? WHERE " + TASK_KEY + " AND state = ? AND COALESCE(outcome, '') = ?";

    private static final String SUPERSEDE = "UPDATE push_tasks SET state = ?, outcome = 'superseded', detail = ?, "
            + "updated_at = ?, done_at = ? WHERE device_id = ? AND service_name = ? AND kind = ? AND generation < ? "
            + "AND state IN (?, ?)";

    private static final String AUDIT = "INSERT INTO audit_events (occurred_at, actor, action, service_name, device_id, "
            + "generation, details, api_application, api_consumer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private static final Object PENDING = new Object();

    @Override
    public Map<String, BoxState> load(Tx tx, Collection<String> deviceIds) throws SQLException {
        flush(tx);
        Map<String, BoxState> states = new HashMap<>();
        if (deviceIds.isEmpty()) {
            return states;
        }
        java.sql.Array ids = tx.textArray(deviceIds);
        for (BoxState box : tx.query(LOAD_DEVICES, row -> {
            BoxState b = new BoxState(row.getString("id"));
            b.model = Interned.of(row.getString("model"));
            b.state = DeviceState.fromWire(row.getString("state"));
            b.firmware = Interned.of(row.getString("firmware"));
            b.agentVersion = Interned.of(row.getString("agent_version"));
            b.certSerial = row.getString("cert_serial");
            b.firstSeenAt = Tx.instant(row, "first_seen_at");
            b.appliedService = row.getString("applied_service");
            b.appliedGeneration = row.getLong("applied_generation");
            b.stateDetail = row.getString("state_detail");
            b.ownerInstance = Interned.of(row.getString("owner_instance"));
            b.ownerToken = row.getLong("owner_token");
            return b;
        }, ids)) {
            states.put(box.id, box);
        }
        if (states.isEmpty()) {
            return states;
        }
        tx.query(LOAD_SERVICES, row -> {
            BoxState b = states.get(row.getString(1));
            if (b != null) {
                b.serviceName = row.getString(2);
                b.desiredGeneration = row.getLong(3);
                String offer = row.getString(4);
                b.profile = offer == null ? null : new DesiredProfile(b.serviceName, b.desiredGeneration,
                        Interned.of(offer), row.getLong(5), row.getLong(6), row.getString(7), Interned.of(row.getString(8)),
                        Tx.instant(row, "created_at"));
            }
            return null;
        }, ids);
        tx.query(LOAD_TASKS, row -> {
            BoxState b = states.get(row.getString(1));
            if (b != null) {
                b.task = new BoxState.Task(TaskState.fromWire(row.getString(2)), Interned.of(row.getString(3)),
                        row.getInt(4), row.getInt(5), Tx.instant(row, "sent_at"));
            }
            return null;
        }, TaskKind.PROFILE, ids);
        tx.query(LOAD_OLDER_OPEN, row -> {
            BoxState b = states.get(row.getString(1));
            if (b != null) {
                b.olderOpenTasks = row.getInt(2);
            }
            return null;
        }, TaskKind.PROFILE, ids, TaskState.QUEUED, TaskState.DOING);
        return states;
    }

    @Override
    public void recordHello(Tx tx, String deviceId, String model, String firmware, String agentVersion,
                            String certSerial, boolean activate, String ownerInstance, long token, long expectedToken)
            throws SQLException {
        Instant now = tx.now();
        writes(tx).add(deviceId, HELLO, "the row of box " + deviceId + " (token " + expectedToken + ")",
                model, firmware, agentVersion, certSerial, now, now, DeviceState.REGISTERED.wire(),
                activate ? DeviceState.ACTIVE.wire() : DeviceState.REGISTERED.wire(), ownerInstance, token, deviceId,
                expectedToken);
    }

    @Override
    public void recordApplied(Tx tx, String deviceId, String serviceName, long generation, String offer, long token)
            throws SQLException {
        writes(tx).add(deviceId, APPLIED, "the applied profile of box " + deviceId + " (token " + token + ")",
                serviceName, generation, offer, tx.now(), deviceId, token);
    }

    @Override
    public void createTask(Tx tx, String deviceId, String serviceName, long generation) throws SQLException {
        Instant now = tx.now();
        writes(tx).add(deviceId, CREATE_TASK, null, deviceId, serviceName, TaskKind.PROFILE, generation,
                TaskState.QUEUED, now, now, deviceId, serviceName, TaskKind.PROFILE, generation);
    }

    @Override
    public void markSent(Tx tx, String deviceId, String serviceName, long generation, long token) throws SQLException {
        Instant now = tx.now();
        writes(tx).add(deviceId, SENT, "the push of generation " + generation + " to box " + deviceId,
                TaskState.DOING, now, now, deviceId, serviceName, TaskKind.PROFILE, generation, TaskState.QUEUED,
                TaskState.DOING, deviceId, token);
    }

    @Override
    public void finishTask(Tx tx, String deviceId, String serviceName, long generation, TaskState state, String outcome,
                           String detail, boolean onlyIfOpen) throws SQLException {
        Instant now = tx.now();
        if (onlyIfOpen) {
            writes(tx).add(deviceId, FINISH_OPEN, "the open task of generation " + generation + " of box " + deviceId,
                    state, outcome, cut(detail), now, now, deviceId, serviceName, TaskKind.PROFILE, generation,
                    TaskState.QUEUED, TaskState.DOING);
        } else {
            writes(tx).add(deviceId, FINISH, null, state, outcome, cut(detail), now, now, deviceId, serviceName,
                    TaskKind.PROFILE, generation);
        }
    }

    @Override
    public void reopenTask(Tx tx, String deviceId, String serviceName, long generation, TaskState read,
                           String readOutcome, String detail) throws SQLException {
        writes(tx).add(deviceId, REOPEN, "the task of generation " + generation + " of box " + deviceId + " as read",
                TaskState.QUEUED, cut(detail), tx.now(), deviceId, serviceName, TaskKind.PROFILE, generation, read,
                readOutcome == null ? "" : readOutcome);
    }

    @Override
    public void supersedeOlder(Tx tx, String deviceId, String serviceName, long generation) throws SQLException {
        Instant now = tx.now();
        writes(tx).add(deviceId, SUPERSEDE, null, TaskState.DONE, "superseded by generation " + generation, now, now,
                deviceId, serviceName, TaskKind.PROFILE, generation, TaskState.QUEUED, TaskState.DOING);
    }

    @Override
    public void audit(Tx tx, String actor, String action, String serviceName, String deviceId, Long generation,
                      String details) throws SQLException {
        Tx.Principal by = tx.principal();
        writes(tx).add(deviceId, AUDIT, null, tx.now(), actor, action, serviceName, deviceId, generation, cut(details),
                by == null ? null : by.application(), by == null ? null : by.consumer());
    }

    @Override
    public void setState(Tx tx, String deviceId, DeviceState state, String detail) throws SQLException {
        writes(tx).add(deviceId, SET_STATE, null, state, detail, deviceId);
    }

    @Override
    public void flush(Tx tx) throws SQLException {
        Writes writes = tx.attachment(PENDING, () -> null);
        if (writes != null) {
            writes.flush(tx);
        }
    }

    private static String cut(String details) {
        return details != null && details.length() > AuditLog.MAX_DETAILS
                ? details.substring(0, AuditLog.MAX_DETAILS) : details;
    }

    private static Writes writes(Tx tx) {
        return tx.attachment(PENDING, () -> {
            Writes made = new Writes();
            tx.beforeCommit(made::flush);
            return made;
        });
    }

    /**
     * The writes held back in one transaction, in rounds: a box's n-th write goes in round n, and each round is one
     * JDBC batch per statement, so every box's writes keep their order and the boxes' writes share statements.
     */
    private static final class Writes {

        private static final class Batch {
            final String sql;
            final List<Object[]> rows = new ArrayList<>();
            final List<String> conditions = new ArrayList<>();

            Batch(String sql) {
                this.sql = sql;
            }
        }

        private final List<Map<String, Batch>> rounds = new ArrayList<>();
        private final Map<String, Integer> nextRound = new HashMap<>();

        /** @param condition what the row must still be, for a conditional write; null for a plain one */
        void add(String key, String sql, String condition, Object... args) {
            int round = nextRound.merge(key, 1, Integer::sum) - 1;
            while (rounds.size() <= round) {
                rounds.add(new LinkedHashMap<>());
            }
            Batch batch = rounds.get(round).computeIfAbsent(sql, Batch::new);
            batch.rows.add(args);
            batch.conditions.add(condition);
        }

        Object flush(Tx tx) throws SQLException {
            List<Map<String, Batch>> pending = new ArrayList<>(rounds);
            rounds.clear();
            nextRound.clear();
            for (Map<String, Batch> round : pending) {
                for (Batch batch : round.values()) {
                    int[] counts = tx.batchCounts(batch.sql, batch.rows);
                    for (int i = 0; i < counts.length; i++) {
                        String condition = batch.conditions.get(i);
                        if (condition != null && counts[i] == 0) {
                            throw new RetryableConflict(condition + " changed since it was read");
                        }
                    }
                }
            }
            return null;
        }
    }
}
