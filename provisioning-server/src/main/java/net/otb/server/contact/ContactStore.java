package net.otb.server.contact;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import net.otb.server.store.Tx;

/** Delivery contacts in the store. Stateless; every method works inside the caller's transaction. */
public final class ContactStore {

    private static final String COLUMNS = "id, name, street, postcode, city, country, phone, default_slot, created_at";

    /**
     * Stores a checked contact; when it is to be the default, the previous default becomes a previous contact in
     * the same transaction (the unique default slot makes a concurrent second default fail and retry).
     */
    public Contact create(Tx tx, ContactDraft checked) throws SQLException {
        if (checked.makeDefault()) {
            tx.update("UPDATE contacts SET default_slot = NULL WHERE default_slot = 1");
        }
        long id = tx.insert("INSERT INTO contacts (name, street, postcode, city, country, phone, default_slot, created_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", checked.name(), checked.street(), checked.postcode(),
                checked.city(), checked.country(), checked.phone(), checked.makeDefault() ? 1 : null, tx.now());
        return find(tx, id).orElseThrow(() -> new SQLException("contact " + id + " vanished after insert"));
    }

    public Optional<Contact> find(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM contacts WHERE id = ?", ContactStore::map, id);
    }

    /** Every contact, the default first, then the most recent. */
    public List<Contact> list(Tx tx) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM contacts ORDER BY CASE WHEN default_slot = 1 THEN 0 ELSE 1 END, id DESC",
                ContactStore::map);
    }

    private static Contact map(ResultSet row) throws SQLException {
        return new Contact(row.getLong("id"), row.getString("name"), row.getString("street"), row.getString("postcode"),
                row.getString("city"), row.getString("country"), row.getString("phone"),
                Tx.nullableLong(row, "default_slot") != null, Tx.instant(row, "created_at"));
    }
}
