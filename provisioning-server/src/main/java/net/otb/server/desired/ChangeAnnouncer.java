package net.otb.server.desired;

import java.sql.SQLException;
import java.util.Collection;
import net.otb.server.store.Tx;

/**
 * How a committed change reaches the other instances: called inside the transaction that makes the change, so
 * that the announcement leaves with the commit and never without it (PostgreSQL's {@code pg_notify}). Like
 * {@link DeviceNotifier}, a hint: an instance that misses one still converges through its sweep.
 */
public interface ChangeAnnouncer {

    /** The boxes' desired state changed: their owning instance should reconcile them. */
    void changed(Tx tx, Collection<String> deviceIds) throws SQLException;

    /** The box was revoked: whoever holds its session closes it. */
    void revoked(Tx tx, String deviceId) throws SQLException;

    /** The box's session moved from {@code previousInstance} to this one, with fencing token {@code token}. */
    void sessionTaken(Tx tx, String deviceId, String previousInstance, long token) throws SQLException;

    /** One instance (H2, tools, tests of the domain alone): nothing to announce. */
    ChangeAnnouncer NONE = new ChangeAnnouncer() {
        @Override
        public void changed(Tx tx, Collection<String> deviceIds) {
        }

        @Override
        public void revoked(Tx tx, String deviceId) {
        }

        @Override
        public void sessionTaken(Tx tx, String deviceId, String previousInstance, long token) {
        }
    };
}
