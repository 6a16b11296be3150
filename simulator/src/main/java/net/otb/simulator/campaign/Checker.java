package net.otb.simulator.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.otb.agent.state.AgentState;
import net.otb.protocol.BandwidthProfile;
import net.otb.server.refund.ProrataRefund;
import net.otb.simulator.hardware.AppliedHistory;

/**
 * Reads what a run left (the store over JDBC, every box's {@code state.json} and applied history, the audit
 * log) and holds it against the {@link Ledger} of what was answered, invariant by invariant (docs/architecture.md#the-store-and-its-invariants):
 * <ul>
 *   <li>{@code answered-once}: each answered change exists exactly once (an order per answered
 *       {@code changeOffers}, none for a retry of the same key; answered payments, cancellations, shipments,
 *       bulk changes and revocations are in the store); each generation has exactly one audit event;</li>
 *   <li>{@code paid-applied}: each paid migration is done and its bound box enforces and confirmed the service's
 *       desired generation;</li>
 *   <li>{@code generation-order}: no box applied a generation older than one it had confirmed, per its own log;</li>
 *   <li>{@code service-ip}: the service IP never changed, in the store, in any profile, on any box;</li>
 *   <li>{@code refund-once}: every done migration has exactly one refund, equal to the prorata formula, and one
 *       {@code refund.established}; no other migration has one;</li>
 *   <li>{@code task-doing}: no push task left {@code doing};</li>
 *   <li>{@code state-file}: every box's state file reads as a complete profile, during the run and after.</li>
 * </ul>
 */
final class Checker {

    /** How a checked run's figures add up. */
    record Outcome(List<Violation> violations, int migrationsChecked) {
    }

    private final Ledger ledger;
    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final List<Violation> found = new ArrayList<>();

    Checker(Ledger ledger, String jdbcUrl, String user, String password) {
        this.ledger = ledger;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    Outcome check() throws SQLException, IOException {
        found.clear();
        for (String problem : ledger.stateFileProblems) {
            violation("state-file", problem);
        }
        int migrations;
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
            c.setReadOnly(true);
            checkOrders(c);
            checkKeys(c);
            checkProfiles(c);
            migrations = checkMigrations(c);
            checkRefunds(c);
            checkTasks(c);
            checkRevocations(c);
            checkBoxes(c);
        }
        return new Outcome(List.copyOf(found), migrations);
    }

    private void violation(String invariant, String detail) {
        found.add(new Violation(invariant, detail));
    }

    private void checkOrders(Connection c) throws SQLException {
        Map<String, Integer> answeredPerService = new HashMap<>();
        Map<String, Integer> unansweredPerService = new HashMap<>();
        for (Ledger.Order order : ledger.orders.values()) {
            if (order.orderId != null) {
                answeredPerService.merge(order.service, 1, Integer::sum);
                List<Object[]> rows = rows(c, "SELECT o.service_name, o.status, m.to_offer, m.hardware, m.state, "
                        + "m.shipped_device_id FROM purchase_orders o LEFT JOIN migrations m ON m.order_id = o.id "
                        + "WHERE o.id = ?", order.orderId);
                if (rows.size() != 1) {
                    violation("answered-once", "order " + order.orderId + " (key " + order.key + ", " + order.service
                            + ") answered but found " + rows.size() + " times with its migration");
                    continue;
                }
                Object[] row = rows.get(0);
                if (!order.service.equals(row[0]) || !order.offer.equals(row[2])) {
                    violation("answered-once", "order " + order.orderId + " answered for " + order.service + " → "
                            + order.offer + " but stored for " + row[0] + " → " + row[2]);
                }
                if (order.payAnswered && !"paid".equals(row[1])) {
                    violation("answered-once", "order " + order.orderId + " payment answered, stored " + row[1]);
                }
                if (order.cancelAnswered && !"cancelled".equals(row[1])) {
                    violation("answered-once", "order " + order.orderId + " cancellation answered, stored " + row[1]);
                }
                if (order.shippedBox != null && !order.shippedBox.equals(row[5])) {
                    violation("answered-once", "order " + order.orderId + " shipment of " + order.shippedBox
                            + " answered, stored " + row[5]);
                }
            } else if (order.refusal == null) {
                unansweredPerService.merge(order.service, 1, Integer::sum);
            }
        }
        for (String service : ledger.services.keySet()) {
            long stored = count(c, "SELECT COUNT(*) FROM purchase_orders WHERE service_name = ?", service);
            int answered = answeredPerService.getOrDefault(service, 0);
            int unanswered = unansweredPerService.getOrDefault(service, 0);
            if (stored < answered || stored > answered + unanswered) {
                violation("answered-once", service + ": " + answered + " orders answered (" + unanswered
                        + " never answered) but " + stored + " in the store");
            }
            long paidEvents = count(c, "SELECT COUNT(*) FROM audit_events WHERE action = 'migration.paid' "
                    + "AND service_name = ?", service);
            long paidOrders = count(c, "SELECT COUNT(*) FROM purchase_orders WHERE status = 'paid' AND service_name = ?",
                    service);
            if (paidEvents != paidOrders) {
                violation("answered-once", service + ": " + paidOrders + " paid orders but " + paidEvents
                        + " migration.paid audit events");
            }
        }
    }

    /** An answered request's first answer is kept with its key, in the same transaction as its change. */
    private void checkKeys(Connection c) throws SQLException {
        for (Map.Entry<String, String> key : ledger.answeredKeys.entrySet()) {
            // the store keeps a key under the credential that sent it ("SCOPE KEY", docs/api.md "Idempotency")
            String pattern = "% " + key.getKey().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
            List<Object[]> rows = rows(c, "SELECT path, status FROM idempotency_keys WHERE idem_key LIKE ? ESCAPE '\\'",
                    pattern);
            if (rows.size() != 1 || !key.getValue().equals(rows.get(0)[0])
                    || ((Number) rows.get(0)[1]).intValue() / 100 != 2) {
                violation("answered-once", "POST " + key.getValue() + " (key " + key.getKey() + ") was answered, but "
                        + (rows.isEmpty() ? "its key and answer are not in the store: the change was lost"
                        : "the store keeps " + rows.get(0)[1] + " for " + rows.get(0)[0]));
            }
        }
    }

    private void checkProfiles(Connection c) throws SQLException {
        for (Ledger.Profile profile : ledger.profiles) {
            List<Object[]> rows = rows(c, "SELECT offer FROM desired_profiles WHERE service_name = ? AND generation = ?",
                    profile.service(), profile.generation());
            if (rows.size() != 1 || !profile.offer().equals(rows.get(0)[0])) {
                violation("answered-once", profile.service() + ": generation " + profile.generation() + " → "
                        + profile.offer() + " answered, stored " + (rows.isEmpty() ? "nowhere" : rows.get(0)[0]));
            }
        }
        for (Ledger.Service service : ledger.services.values()) {
            List<Object[]> current = rows(c, "SELECT service_ip, desired_generation FROM services WHERE name = ?",
                    service.name());
            if (current.size() != 1) {
                violation("answered-once", service.name() + ": created but found " + current.size() + " times");
                continue;
            }
            if (!service.serviceIp().equals(current.get(0)[0])) {
                violation("service-ip", service.name() + ": created with " + service.serviceIp() + ", now "
                        + current.get(0)[0]);
            }
            long desired = ((Number) current.get(0)[1]).longValue();
            List<Object[]> generations = rows(c, "SELECT generation, service_ip FROM desired_profiles "
                    + "WHERE service_name = ? ORDER BY generation", service.name());
            long expected = 1;
            for (Object[] row : generations) {
                long generation = ((Number) row[0]).longValue();
                if (generation != expected) {
                    violation("answered-once", service.name() + ": generation " + generation + " follows "
                            + (expected - 1));
                }
                expected = generation + 1;
                if (!service.serviceIp().equals(row[1])) {
                    violation("service-ip", service.name() + ": generation " + generation + " carries " + row[1]
                            + " instead of " + service.serviceIp());
                }
                long events = count(c, "SELECT COUNT(*) FROM audit_events WHERE service_name = ? AND generation = ? "
                        + "AND action = ?", service.name(), generation, generation == 1 ? "service.created"
                        : "desired.changed");
                if (events != 1) {
                    violation("answered-once", service.name() + ": generation " + generation + " has " + events
                            + (generation == 1 ? " service.created" : " desired.changed") + " audit events");
                }
            }
            if (expected - 1 != desired) {
                violation("answered-once", service.name() + ": desired generation " + desired + " but profiles up to "
                        + (expected - 1));
            }
        }
    }

    private int checkMigrations(Connection c) throws SQLException {
        int checked = 0;
        for (Object[] m : rows(c, "SELECT m.id, m.order_id, m.service_name, m.state, m.hardware, m.shipped_device_id, "
                + "m.generation, s.device_id, s.desired_generation, s.offer, m.to_offer, m.old_device_id "
                + "FROM migrations m JOIN services s ON s.name = m.service_name WHERE m.paid_at IS NOT NULL")) {
            checked++;
            String label = "migration " + m[0] + " (order " + m[1] + ", " + m[2] + ")";
            if (!"done".equals(m[3])) {
                violation("paid-applied", label + " paid but " + m[3] + " at the end");
                continue;
            }
            String bound = (String) m[7];
            // a later box migration of the same service moves it again: only the last one's box stays bound
            long laterBoxMigrations = count(c, "SELECT COUNT(*) FROM migrations WHERE service_name = ? AND id > ? "
                    + "AND state = 'done' AND hardware IS NOT NULL", m[2], m[0]);
            if (m[4] != null && laterBoxMigrations == 0 && !String.valueOf(m[5]).equals(bound)) {
                violation("paid-applied", label + ": shipped " + m[5] + " but the service is bound to " + bound);
            }
            long generation = ((Number) m[6]).longValue();
            long desired = ((Number) m[8]).longValue();
            Ledger.Box box = bound == null ? null : ledger.boxes.get(bound);
            if (box == null) {
                violation("paid-applied", label + ": bound to " + bound + ", not a box of the run");
                continue;
            }
            AgentState state;
            try {
                state = AppliedHistory.readState(box.stateDirectory().resolve("state.json"));
            } catch (IOException | RuntimeException e) {
                violation("state-file", box.serial() + ": " + e.getMessage());
                continue;
            }
            BandwidthProfile applied = state.applied();
            if (applied == null || applied.generation() < generation) {
                violation("paid-applied", label + ": generation " + generation + " not applied on " + bound
                        + " (its state file holds " + (applied == null ? "nothing" : "generation " + applied.generation())
                        + ")");
            } else if (applied.generation() != desired || state.pending() != null || !applied.serviceName().equals(m[2])
                    || !applied.offer().equals(m[9])) {
                violation("paid-applied", label + ": " + bound + " holds generation " + applied.generation() + " of "
                        + applied.serviceName() + " (" + applied.offer() + (state.pending() != null ? ", unconfirmed"
                        : "") + "), the service wants generation " + desired + " (" + m[9] + ")");
            }
            long deviceApplied = count(c, "SELECT COALESCE(MAX(applied_generation), 0) FROM devices WHERE id = ? "
                    + "AND applied_service = ?", bound, m[2]);
            if (deviceApplied < generation) {
                violation("paid-applied", label + ": the store says " + bound + " applied generation " + deviceApplied
                        + " < " + generation);
            }
            if (m[4] != null && m[11] != null) {
                long decommissioning = count(c, "SELECT COUNT(*) FROM devices WHERE id = ? AND state IN "
                        + "('decommissioning', 'decommissioned')", m[11]);
                if (decommissioning != 1) {
                    violation("paid-applied", label + ": the replaced box " + m[11] + " is not decommissioned");
                }
            }
        }
        return checked;
    }

    private void checkRefunds(Connection c) throws SQLException {
        for (Object[] m : rows(c, "SELECT id, order_id, service_name, state, from_monthly_cents, effective_date "
                + "FROM migrations")) {
            long id = ((Number) m[0]).longValue();
            List<Object[]> refunds = rows(c, "SELECT old_monthly_cents, effective_date, day_of_month, days_in_month, "
                    + "refunded_days, amount_cents FROM refunds WHERE migration_id = ?", id);
            String label = "migration " + id + " (order " + m[1] + ", " + m[2] + ")";
            boolean done = "done".equals(m[3]);
            if (refunds.size() != (done ? 1 : 0)) {
                violation("refund-once", label + " is " + m[3] + " and has " + refunds.size() + " refunds");
            }
            long events = count(c, "SELECT COUNT(*) FROM audit_events WHERE action = 'refund.established' "
                    + "AND service_name = ? AND details LIKE ?", m[2], "order " + m[1] + ":%");
            if (events != (done ? 1 : 0)) {
                violation("refund-once", label + " is " + m[3] + " and has " + events + " refund.established events");
            }
            long doneEvents = count(c, "SELECT COUNT(*) FROM audit_events WHERE action = 'migration.done' "
                    + "AND service_name = ? AND details LIKE ?", m[2], "order " + m[1] + ":%");
            if (doneEvents != (done ? 1 : 0)) {
                violation("answered-once", label + " is " + m[3] + " and has " + doneEvents + " migration.done events");
            }
            for (Object[] r : refunds) {
                long price = ((Number) m[4]).longValue();
                java.time.LocalDate effective = day(m[5]);
                ProrataRefund expected = ProrataRefund.of(price, effective);
                long amount = ((Number) r[5]).longValue();
                if (((Number) r[0]).longValue() != price || !day(r[1]).equals(effective)
                        || ((Number) r[2]).intValue() != expected.dayOfMonth()
                        || ((Number) r[3]).intValue() != expected.daysInMonth()
                        || ((Number) r[4]).intValue() != expected.refundedDays() || amount != expected.amountCents()) {
                    violation("refund-once", label + ": refund of " + amount + " cents from " + r[0] + " on " + r[1]
                            + ", the formula gives " + expected.amountCents() + " cents from " + price + " on "
                            + effective);
                }
            }
        }
    }

    private void checkTasks(Connection c) throws SQLException {
        for (Object[] t : rows(c, "SELECT id, device_id, service_name, kind, generation FROM push_tasks "
                + "WHERE state = 'doing'")) {
            violation("task-doing", "task " + t[0] + " (" + t[3] + " generation " + t[4] + " of " + t[2] + " to " + t[1]
                    + ") left doing");
        }
    }

    private void checkRevocations(Connection c) throws SQLException {
        for (String serial : ledger.revoked) {
            if (count(c, "SELECT COUNT(*) FROM devices WHERE id = ? AND state = 'revoked'", serial) != 1) {
                violation("answered-once", serial + ": revocation answered, the box is not revoked in the store");
            }
        }
    }

    private void checkBoxes(Connection c) throws SQLException, IOException {
        Map<String, String> ipOf = new HashMap<>();
        ledger.services.values().forEach(s -> ipOf.put(s.name(), s.serviceIp()));
        java.util.Set<String> replaced = ledger.replacedBoxes();
        for (Ledger.Box box : ledger.boxes.values()) {
            List<AppliedHistory.Entry> history;
            try {
                history = AppliedHistory.read(box.historyFile());
            } catch (IOException | RuntimeException e) {
                violation("generation-order", box.serial() + ": its applied history cannot be read: " + e.getMessage());
                continue;
            }
            long confirmedSoFar = 0;
            Map<String, Long> highest = new HashMap<>();
            for (AppliedHistory.Entry entry : history) {
                String at = box.serial() + " at " + java.time.Instant.ofEpochMilli(entry.epochMillis());
                if (entry.stateUnreadable()) {
                    violation("state-file", at + ": the state file could not be read while applying generation "
                            + entry.generation());
                }
                String ip = ipOf.get(entry.serviceName());
                if (ip == null) {
                    violation("service-ip", at + ": applied a profile of " + entry.serviceName()
                            + ", not a service of the run");
                } else if (!ip.equals(entry.serviceIp())) {
                    violation("service-ip", at + ": applied " + entry.serviceName() + " generation " + entry.generation()
                            + " with IP " + entry.serviceIp() + " instead of " + ip);
                }
                if (entry.confirmedBefore() != null) {
                    if (entry.confirmedBefore() < confirmedSoFar) {
                        violation("generation-order", at + ": its confirmed generation went back from " + confirmedSoFar
                                + " to " + entry.confirmedBefore());
                    }
                    confirmedSoFar = Math.max(confirmedSoFar, entry.confirmedBefore());
                }
                if (entry.generation() < confirmedSoFar) {
                    violation("generation-order", at + ": applied generation " + entry.generation() + " of "
                            + entry.serviceName() + " after it had confirmed generation " + confirmedSoFar);
                }
                highest.merge(entry.serviceName(), entry.generation(), Math::max);
                List<Object[]> stored = rows(c, "SELECT offer, down_kbps, up_kbps FROM desired_profiles "
                        + "WHERE service_name = ? AND generation = ?", entry.serviceName(), entry.generation());
                if (stored.size() != 1 || !entry.offer().equals(stored.get(0)[0])
                        || entry.downKbps() != ((Number) stored.get(0)[1]).longValue()
                        || entry.upKbps() != ((Number) stored.get(0)[2]).longValue()) {
                    violation("generation-order", at + ": applied generation " + entry.generation() + " of "
                            + entry.serviceName() + " as " + entry.offer() + ", but the store's generation "
                            + entry.generation() + " is " + (stored.isEmpty() ? "missing" : stored.get(0)[0]
                            + " " + stored.get(0)[1] + "/" + stored.get(0)[2] + " kbit/s")
                            + " (a generation given out twice)");
                }
            }
            if (highest.size() > 1) {
                violation("service-ip", box.serial() + ": applied profiles of several services " + highest.keySet());
            }
            if (!Files.exists(box.stateDirectory().resolve("state.json"))) {
                continue;
            }
            AgentState state;
            try {
                state = AppliedHistory.readState(box.stateDirectory().resolve("state.json"));
            } catch (IOException | RuntimeException e) {
                violation("state-file", box.serial() + ": " + e.getMessage());
                continue;
            }
            if (replaced.contains(box.serial())) {
                if (state.decommissioned() == null) {
                    violation("paid-applied", box.serial() + ": replaced by another box, never decommissioned (it "
                            + "still holds " + (state.applied() == null ? "nothing" : "generation "
                            + state.applied().generation() + " of " + state.applied().serviceName()) + ")");
                }
                continue;
            }
            if (state.applied() == null && state.decommissioned() == null && !history.isEmpty()) {
                violation("state-file", box.serial() + ": applied " + history.size()
                        + " profiles, its state file holds none");
            }
            if (state.applied() != null) {
                String ip = ipOf.get(state.applied().serviceName());
                if (ip != null && !ip.equals(state.applied().serviceIp())) {
                    violation("service-ip", box.serial() + ": its state file holds IP " + state.applied().serviceIp()
                            + " for " + state.applied().serviceName() + " instead of " + ip);
                }
                Long top = highest.get(state.applied().serviceName());
                if (top != null && state.applied().generation() < top && state.pending() == null
                        && state.decommissioned() == null) {
                    long desired = count(c, "SELECT desired_generation FROM services WHERE name = ?",
                            state.applied().serviceName());
                    if (state.applied().generation() < desired) {
                        violation("generation-order", box.serial() + ": its state file holds generation "
                                + state.applied().generation() + " though it applied " + top + " and the service wants "
                                + desired);
                    }
                }
            }
        }
    }

    private static java.time.LocalDate day(Object value) {
        return value instanceof Date date ? date.toLocalDate() : (java.time.LocalDate) value;
    }

    private static List<Object[]> rows(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            try (ResultSet r = s.executeQuery()) {
                int columns = r.getMetaData().getColumnCount();
                List<Object[]> out = new ArrayList<>();
                while (r.next()) {
                    Object[] row = new Object[columns];
                    for (int i = 0; i < columns; i++) {
                        row[i] = r.getObject(i + 1);
                    }
                    out.add(row);
                }
                return out;
            }
        }
    }

    private static long count(Connection c, String sql, Object... args) throws SQLException {
        List<Object[]> rows = rows(c, sql, args);
        return rows.isEmpty() || rows.get(0)[0] == null ? 0 : ((Number) rows.get(0)[0]).longValue();
    }
}
