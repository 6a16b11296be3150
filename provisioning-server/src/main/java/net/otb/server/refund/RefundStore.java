package net.otb.server.refund;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import net.otb.server.store.Tx;

/**
 * Refunds in the store, at most one per migration: the caller holds the migration's row lock, and a unique
 * constraint backs the rule. Stateless; every method works inside the caller's transaction.
 */
public final class RefundStore {

    private static final String COLUMNS = "id, migration_id, order_id, service_name, old_offer, old_monthly_cents, "
            + "effective_date, day_of_month, days_in_month, refunded_days, amount_cents, created_at";

    /** Records the refund of {@code migrationId}, or returns the one already recorded: never two. */
    public Refund establish(Tx tx, long migrationId, long orderId, String serviceName, String oldOffer,
                            ProrataRefund prorata) throws SQLException {
        Optional<Refund> existing = forMigration(tx, migrationId);
        if (existing.isPresent()) {
            return existing.get();
        }
        long id = tx.insert("INSERT INTO refunds (migration_id, order_id, service_name, old_offer, old_monthly_cents, "
                        + "effective_date, day_of_month, days_in_month, refunded_days, amount_cents, created_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", migrationId, orderId, serviceName, oldOffer,
                prorata.oldMonthlyCents(), prorata.effectiveDate(), prorata.dayOfMonth(), prorata.daysInMonth(),
                prorata.refundedDays(), prorata.amountCents(), tx.now());
        return tx.queryOne("SELECT " + COLUMNS + " FROM refunds WHERE id = ?", RefundStore::map, id)
                .orElseThrow(() -> new SQLException("refund " + id + " vanished after insert"));
    }

    public Optional<Refund> forMigration(Tx tx, long migrationId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM refunds WHERE migration_id = ?", RefundStore::map, migrationId);
    }

    public List<Refund> forOrder(Tx tx, long orderId) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM refunds WHERE order_id = ? ORDER BY id", RefundStore::map, orderId);
    }

    /** Every refund, most recent first, at most {@code limit}. */
    public List<Refund> recent(Tx tx, int limit) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM refunds ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY",
                RefundStore::map);
    }

    private static Refund map(ResultSet row) throws SQLException {
        ProrataRefund prorata = new ProrataRefund(row.getLong("old_monthly_cents"),
                row.getObject("effective_date", java.time.LocalDate.class), row.getInt("day_of_month"),
                row.getInt("days_in_month"), row.getInt("refunded_days"), row.getLong("amount_cents"));
        return new Refund(row.getLong("id"), row.getLong("migration_id"), row.getLong("order_id"),
                row.getString("service_name"), row.getString("old_offer"), prorata, Tx.instant(row, "created_at"));
    }
}
