package net.otb.server.device;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.otb.server.store.Tx;

/** The {@code devices} table. Stateless; every method runs in the caller's transaction. */
public final class Devices {

    private static final String COLUMNS = "id, model, state, firmware, agent_version, cert_serial, registered_at, "
            + "first_seen_at, last_seen_at, applied_service, applied_generation, applied_offer, applied_at, state_detail, owner_instance, owner_token";

    /**
     * Registers a box.
     *
     * @return false when a box with this serial exists already
     */
    public boolean register(Tx tx, String id, String model) throws SQLException {
        if (find(tx, id).isPresent()) {
            return false;
        }
        tx.update("INSERT INTO devices (id, model, state, registered_at) VALUES (?, ?, ?, ?)",
                id, model, DeviceState.REGISTERED, tx.now());
        return true;
    }

    public Optional<Device> find(Tx tx, String id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM devices WHERE id = ?", Devices::map, id);
    }

    /**
     * The box, its row locked until the transaction ends. On H2, an {@code UPDATE} that changes nothing takes the
     * lock (H2 locks a row it updates exactly as {@code FOR UPDATE} does, and waits, times out and retries alike),
     * then a plain read returns the row: H2 parses a {@code SELECT … FOR UPDATE} anew on every call (its plan is
     * never cached), which JFR put at ~10 % of the gateway's store threads in a bulk fan-out (every hello and every
     * {@code applied} locks its box); both statements here stay parsed. The row's values are unchanged, and the row is
     * written again in the same transaction by the hello or the ack anyway.
     */
    public Optional<Device> lock(Tx tx, String id) throws SQLException {
        if (tx.isH2()) {
            tx.update("UPDATE devices SET owner_token = owner_token WHERE id = ?", id);
            return find(tx, id);
        }
        return tx.queryOne("SELECT " + COLUMNS + " FROM devices WHERE id = ? FOR UPDATE", Devices::map, id);
    }

    public List<Device> list(Tx tx, int limit, int offset) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM devices ORDER BY id LIMIT ? OFFSET ?", Devices::map, limit, offset);
    }

    /**
     * Records an accepted hello: what the box runs, when it was seen, which certificate it used, and that
     * {@code instance} now owns its session with fencing token {@code token} (the same statement: a takeover
     * costs nothing more than the hello did).
     */
    public void recordHello(Tx tx, String id, String model, String firmware, String agentVersion, String certSerial,
                            String instance, long token) throws SQLException {
        Instant now = tx.now();
        tx.update("UPDATE devices SET model = ?, firmware = ?, agent_version = ?, cert_serial = ?, last_seen_at = ?, "
                        + "first_seen_at = COALESCE(first_seen_at, ?), state = CASE WHEN state = ? THEN ? ELSE state END, "
                        + "owner_instance = ?, owner_token = ? WHERE id = ?",
                model, firmware, agentVersion, certSerial, now, now, DeviceState.REGISTERED.wire(),
                DeviceState.ACTIVE.wire(), instance, token, id);
    }

    /**
     * Records that the session of token {@code token} on {@code instance} ended: the box is held nowhere until its
     * next hello (its token stays: the fence compares tokens only), and was last seen now. Changes nothing when a
     * newer session took the box meanwhile.
     *
     * @return whether the row was this session's
     */
    public boolean release(Tx tx, String id, String instance, long token) throws SQLException {
        return tx.update("UPDATE devices SET owner_instance = NULL, last_seen_at = ? "
                + "WHERE id = ? AND owner_instance = ? AND owner_token = ?", tx.now(), id, instance, token) == 1;
    }

    /** Records the profile a box reports as in force (from {@code hello} or {@code applied}). */
    public void recordApplied(Tx tx, String id, String serviceName, long generation, String offer) throws SQLException {
        tx.update("UPDATE devices SET applied_service = ?, applied_generation = ?, applied_offer = ?, applied_at = ? "
                + "WHERE id = ?", serviceName, generation, offer, tx.now(), id);
    }

    public void setState(Tx tx, String id, DeviceState state, String detail) throws SQLException {
        tx.update("UPDATE devices SET state = ?, state_detail = ? WHERE id = ?", state, detail, id);
    }

    public void touch(Tx tx, String id) throws SQLException {
        tx.update("UPDATE devices SET last_seen_at = ? WHERE id = ?", tx.now(), id);
    }

    /** How many boxes are in each state (every state listed, zeros included). */
    public Map<String, Long> countByState(Tx tx) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (DeviceState state : DeviceState.values()) {
            counts.put(state.wire(), 0L);
        }
        tx.query("SELECT state, COUNT(*) FROM devices GROUP BY state", row -> {
            counts.put(row.getString(1), row.getLong(2));
            return null;
        });
        return counts;
    }

    static Device map(ResultSet row) throws SQLException {
        return new Device(row.getString("id"), row.getString("model"), DeviceState.fromWire(row.getString("state")),
                row.getString("firmware"), row.getString("agent_version"), row.getString("cert_serial"),
                Tx.instant(row, "registered_at"), Tx.instant(row, "first_seen_at"), Tx.instant(row, "last_seen_at"),
                row.getString("applied_service"), row.getLong("applied_generation"), row.getString("applied_offer"),
                Tx.instant(row, "applied_at"), row.getString("state_detail"),
                row.getString("owner_instance"), row.getLong("owner_token"));
    }
}
