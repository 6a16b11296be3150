package net.otb.server.desired;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.otb.server.store.Tx;

/**
 * The append-only audit log. An event commits with the change it describes, in the same transaction.
 * Actions are dotted names, e.g. {@code service.created}, {@code desired.changed}, {@code profile.applied}.
 */
public final class AuditLog {

    /** Longest details kept; longer text is cut. */
    public static final int MAX_DETAILS = 4_000;

    /** An event to append, as {@link #append} takes it. */
    public record Entry(String actor, String action, String serviceName, String deviceId, Long generation,
                        String details) {
    }

    private static final String INSERT = "INSERT INTO audit_events (occurred_at, actor, action, service_name, device_id, "
            + "generation, details, api_application, api_consumer, actor_label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * Appends an event.
     *
     * @param actor who: {@code admin}, {@code order-system}, {@code device:SERIAL}, {@code system}
     * @param serviceName the service concerned, or null
     * @param deviceId the box concerned, or null
     * @param generation the generation concerned, or null
     * @param details free text or JSON, or null
     * @return the event's id
     */
    public long append(Tx tx, String actor, String action, String serviceName, String deviceId, Long generation,
                       String details) throws SQLException {
        Tx.Principal by = tx.principal();
        return tx.insert(INSERT, tx.now(), actor, action, serviceName, deviceId, generation, cut(details),
                by == null ? null : by.application(), by == null ? null : by.consumer(),
                by == null ? null : by.label());
    }

    /**
     * Appends one event per entry, in order (their ids grow in that order), as one JDBC batch: what
     * {@link #append} once per entry would write.
     */
    public void appendAll(Tx tx, List<Entry> entries) throws SQLException {
        Instant now = tx.now();
        List<Object[]> rows = new ArrayList<>(entries.size());
        Tx.Principal by = tx.principal();
        for (Entry e : entries) {
            rows.add(new Object[] {now, e.actor(), e.action(), e.serviceName(), e.deviceId(), e.generation(),
                    cut(e.details()), by == null ? null : by.application(), by == null ? null : by.consumer(),
                    by == null ? null : by.label()});
        }
        tx.batch(INSERT, rows);
    }

    /**
     * Events, oldest first, filtered by service and/or box when given.
     *
     * @param afterId only events with a larger id (for paging), 0 for all
     */
    public List<AuditEvent> list(Tx tx, String serviceName, String deviceId, long afterId, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT id, occurred_at, actor, action, service_name, device_id, "
                + "generation, details, api_application, api_consumer, actor_label FROM audit_events WHERE id > ?");
        List<Object> args = new ArrayList<>();
        args.add(afterId);
        if (serviceName != null) {
            sql.append(" AND service_name = ?");
            args.add(serviceName);
        }
        if (deviceId != null) {
            sql.append(" AND device_id = ?");
            args.add(deviceId);
        }
        sql.append(" ORDER BY id LIMIT ?");
        args.add(limit);
        return tx.query(sql.toString(), row -> new AuditEvent(row.getLong("id"), Tx.instant(row, "occurred_at"),
                row.getString("actor"), row.getString("action"), row.getString("service_name"),
                row.getString("device_id"), Tx.nullableLong(row, "generation"), row.getString("details"),
                row.getString("api_application"), Tx.nullableLong(row, "api_consumer"), row.getString("actor_label")),
                args.toArray());
    }

    private static String cut(String details) {
        return details != null && details.length() > MAX_DETAILS ? details.substring(0, MAX_DETAILS) : details;
    }
}
