package net.otb.server.order;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import net.otb.server.store.Tx;

/** Purchase orders in the store. Stateless; every method works inside the caller's transaction. */
public final class OrderStore {

    private static final String COLUMNS = "id, service_name, status, amount_cents, monthly_cents, hardware_cents, "
            + "created_at, paid_at, payment_id, cancelled_at";

    public PurchaseOrder create(Tx tx, String serviceName, Money monthly, Money hardware) throws SQLException {
        Money amount = monthly.plus(hardware);
        long id = tx.insert("INSERT INTO purchase_orders (service_name, status, amount_cents, monthly_cents, hardware_cents, "
                        + "created_at) VALUES (?, ?, ?, ?, ?, ?)", serviceName, OrderStatus.UNPAID, amount.cents(),
                monthly.cents(), hardware.cents(), tx.now());
        return find(tx, id).orElseThrow(() -> new SQLException("order " + id + " vanished after insert"));
    }

    public Optional<PurchaseOrder> find(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM purchase_orders WHERE id = ?", OrderStore::map, id);
    }

    /** Reads the order and locks its row until the transaction ends: payments and cancels of one order queue here. */
    public Optional<PurchaseOrder> lock(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM purchase_orders WHERE id = ? FOR UPDATE", OrderStore::map, id);
    }

    /** Marks an unpaid order paid; false when it was not unpaid any more (the row decides, not the caller's read). */
    public boolean markPaid(Tx tx, long id, String paymentId, Instant at) throws SQLException {
        return tx.update("UPDATE purchase_orders SET status = ?, paid_at = ?, payment_id = ? WHERE id = ? AND status = ?",
                OrderStatus.PAID, at, paymentId, id, OrderStatus.UNPAID) == 1;
    }

    /** Marks an unpaid order cancelled; false when it was not unpaid any more. */
    public boolean markCancelled(Tx tx, long id, Instant at) throws SQLException {
        return tx.update("UPDATE purchase_orders SET status = ?, cancelled_at = ? WHERE id = ? AND status = ?",
                OrderStatus.CANCELLED, at, id, OrderStatus.UNPAID) == 1;
    }

    private static PurchaseOrder map(ResultSet row) throws SQLException {
        return new PurchaseOrder(row.getLong("id"), row.getString("service_name"),
                OrderStatus.fromWire(row.getString("status")), Money.cents(row.getLong("amount_cents")),
                Money.cents(row.getLong("monthly_cents")), Money.cents(row.getLong("hardware_cents")),
                Tx.instant(row, "created_at"), Tx.instant(row, "paid_at"), row.getString("payment_id"),
                Tx.instant(row, "cancelled_at"));
    }
}
