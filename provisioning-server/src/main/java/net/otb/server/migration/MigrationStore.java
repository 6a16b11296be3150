package net.otb.server.migration;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.otb.server.order.Money;
import net.otb.server.store.Tx;

/**
 * Migrations in the store. The column {@code open_service} holds the service name while a migration is open and
 * is unique: a second open migration of a service fails at insert, whatever the interleaving. Stateless; every
 * method works inside the caller's transaction.
 */
public final class MigrationStore {

    private static final String COLUMNS = "id, order_id, service_name, state, from_offer, from_monthly_cents, to_offer, "
            + "to_monthly_cents, hardware, hardware_cents, accepted_contracts, shipping_contact_id, shipping_method, "
            + "shipping_relay_id, old_device_id, shipped_device_id, generation, effective_date, created_at, updated_at, "
            + "paid_at, shipped_at, completed_at, cancelled_at";

    /**
     * Inserts the open migration of an order.
     *
     * @throws SQLException with SQL state 23505 when the service already has an open migration
     */
    public Migration create(Tx tx, long orderId, ValidatedChange change) throws SQLException {
        Quote quote = change.quote();
        Instant now = tx.now();
        long id = tx.insert("INSERT INTO migrations (order_id, service_name, open_service, state, from_offer, "
                        + "from_monthly_cents, to_offer, to_monthly_cents, hardware, hardware_cents, accepted_contracts, "
                        + "shipping_contact_id, shipping_method, shipping_relay_id, created_at, updated_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                orderId, quote.serviceName(), quote.serviceName(), MigrationState.ORDERED, quote.fromOffer(),
                quote.currentMonthly().cents(), quote.offer().name(), quote.monthly().cents(),
                quote.hardware() == null ? null : quote.hardware().name(), quote.hardwarePrice().cents(),
                String.join(",", quote.contracts().stream().map(Contract::name).toList()),
                change.shippingContact() == null ? null : change.shippingContact().id(),
                change.shippingMethod() == null ? null : change.shippingMethod().wireName(), change.shippingRelayId(),
                now, now);
        return find(tx, id).orElseThrow(() -> new SQLException("migration " + id + " vanished after insert"));
    }

    public Optional<Migration> find(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE id = ?", MigrationStore::map, id);
    }

    public Optional<Migration> forOrder(Tx tx, long orderId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE order_id = ?", MigrationStore::map, orderId);
    }

    /** Reads the order's migration and locks its row until the transaction ends. */
    public Optional<Migration> lockForOrder(Tx tx, long orderId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE order_id = ? FOR UPDATE", MigrationStore::map,
                orderId);
    }

    public Optional<Migration> open(Tx tx, String serviceName) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE open_service = ?", MigrationStore::map,
                serviceName);
    }

    /** The service's latest migration, open or not. */
    public Optional<Migration> latest(Tx tx, String serviceName) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE service_name = ? ORDER BY id DESC "
                + "FETCH FIRST 1 ROWS ONLY", MigrationStore::map, serviceName);
    }

    /** The shipped migration waiting for {@code deviceId}, locked, when there is one. */
    public Optional<Migration> lockShippedTo(Tx tx, String deviceId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE shipped_device_id = ? AND state = ? FOR UPDATE",
                MigrationStore::map, deviceId, MigrationState.SHIPPED);
    }

    /** Whether {@code deviceId} was shipped for any migration, whatever its state. */
    public Optional<Migration> shippedTo(Tx tx, String deviceId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM migrations WHERE shipped_device_id = ?", MigrationStore::map,
                deviceId);
    }

    /**
     * Records the payment: with a box the migration now waits for it; without one it stays {@code ordered} for the
     * instant until {@link #markDone} in the same transaction.
     */
    public void markPaid(Tx tx, long id, boolean awaitBox, String oldDeviceId, Instant at) throws SQLException {
        requireOne(tx.update("UPDATE migrations SET state = ?, old_device_id = ?, paid_at = ?, updated_at = ? "
                + "WHERE id = ? AND state = ?", awaitBox ? MigrationState.AWAITING_DELIVERY : MigrationState.ORDERED,
                oldDeviceId, at, at, id, MigrationState.ORDERED), id);
    }

    public void markCancelled(Tx tx, long id, Instant at) throws SQLException {
        requireOne(tx.update("UPDATE migrations SET state = ?, open_service = NULL, cancelled_at = ?, updated_at = ? "
                + "WHERE id = ? AND state = ?", MigrationState.CANCELLED, at, at, id, MigrationState.ORDERED), id);
    }

    public void markShipped(Tx tx, long id, String deviceId, Instant at) throws SQLException {
        requireOne(tx.update("UPDATE migrations SET state = ?, shipped_device_id = ?, shipped_at = ?, updated_at = ? "
                + "WHERE id = ? AND state = ?", MigrationState.SHIPPED, deviceId, at, at, id,
                MigrationState.AWAITING_DELIVERY), id);
    }

    public void markDone(Tx tx, long id, long generation, LocalDate effectiveDate, Instant at) throws SQLException {
        requireOne(tx.update("UPDATE migrations SET state = ?, open_service = NULL, generation = ?, effective_date = ?, "
                + "completed_at = ?, updated_at = ? WHERE id = ? AND open_service IS NOT NULL", MigrationState.DONE,
                generation, effectiveDate, at, at, id), id);
    }

    private static void requireOne(int rows, long id) throws SQLException {
        if (rows != 1) {
            // the caller holds the row lock and checked the state: anything else is a bug, not a race
            throw new SQLException("migration " + id + " was not in the expected state");
        }
    }

    private static Migration map(ResultSet row) throws SQLException {
        String contracts = row.getString("accepted_contracts");
        String method = row.getString("shipping_method");
        return new Migration(row.getLong("id"), row.getLong("order_id"), row.getString("service_name"),
                MigrationState.fromWire(row.getString("state")), row.getString("from_offer"),
                Money.cents(row.getLong("from_monthly_cents")), row.getString("to_offer"),
                Money.cents(row.getLong("to_monthly_cents")), row.getString("hardware"),
                Money.cents(row.getLong("hardware_cents")),
                contracts.isEmpty() ? List.of() : Arrays.asList(contracts.split(",")),
                Tx.nullableLong(row, "shipping_contact_id"),
                method == null ? null : ShippingMethod.fromWire(method).orElseThrow(),
                row.getString("shipping_relay_id"), row.getString("old_device_id"), row.getString("shipped_device_id"),
                Tx.nullableLong(row, "generation"), row.getObject("effective_date", LocalDate.class),
                Tx.instant(row, "created_at"), Tx.instant(row, "updated_at"), Tx.instant(row, "paid_at"),
                Tx.instant(row, "shipped_at"), Tx.instant(row, "completed_at"), Tx.instant(row, "cancelled_at"));
    }
}
