package net.otb.server.device;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import net.otb.server.store.Tx;

/**
 * The {@code services} table. Stateless; every method runs in the caller's transaction. Changes of the
 * offer, generation or bound box go through the desired-state engine, which keeps them consistent.
 */
public final class Services {

    private static final String COLUMNS =
            "name, account, offer, status, service_ip, device_id, desired_generation, created_at, updated_at";

    public Optional<Service> find(Tx tx, String name) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM services WHERE name = ?", Services::map, name);
    }

    /** The service, its row locked until the transaction ends: the way to serialize changes of one service. */
    public Optional<Service> lock(Tx tx, String name) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM services WHERE name = ? FOR UPDATE", Services::map, name);
    }

    /**
     * The services named in {@code names} that exist, in name order, their rows locked until the transaction
     * ends; taken in that order, so that two bulk changes of overlapping sets wait for each other instead of
     * deadlocking.
     */
    public List<Service> lockAll(Tx tx, Collection<String> names) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM services WHERE name = ANY(?) ORDER BY name FOR UPDATE",
                Services::map, tx.textArray(names));
    }

    /** Names of the services with this offer and status, in name order, at most {@code limit}. */
    public List<String> namesByOffer(Tx tx, String offer, ServiceStatus status, int limit) throws SQLException {
        return tx.query("SELECT name FROM services WHERE offer = ? AND status = ? ORDER BY name LIMIT ?",
                row -> row.getString(1), offer, status, limit);
    }

    /** The service bound to a box, if any. */
    public Optional<Service> findByDevice(Tx tx, String deviceId) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM services WHERE device_id = ?", Services::map, deviceId);
    }

    public Optional<Service> findByIp(Tx tx, String serviceIp) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM services WHERE service_ip = ?", Services::map, serviceIp);
    }

    public List<Service> listByAccount(Tx tx, String account) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM services WHERE account = ? ORDER BY name", Services::map, account);
    }

    /** Sets the commercial status (e.g. suspends a service). */
    public void setStatus(Tx tx, String name, ServiceStatus status) throws SQLException {
        tx.update("UPDATE services SET status = ?, updated_at = ? WHERE name = ?", status, tx.now(), name);
    }

    static Service map(ResultSet row) throws SQLException {
        return new Service(row.getString("name"), row.getString("account"), row.getString("offer"),
                ServiceStatus.fromWire(row.getString("status")), row.getString("service_ip"), row.getString("device_id"),
                row.getLong("desired_generation"), Tx.instant(row, "created_at"), Tx.instant(row, "updated_at"));
    }
}
