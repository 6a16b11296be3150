package net.otb.server.device;

import java.sql.SQLException;
import net.otb.server.store.Tx;

/**
 * Told of every accepted {@code hello}, inside the transaction that records it, before the session is
 * welcomed and reconciled. What it changes commits with the hello (or not at all), and the reconcile
 * that follows sees it: binding the service to this box here means the box gets the service's profile in
 * this very session. A listener must decide from the store, not from {@link AcceptedHello#firstConnection}
 * alone: a crash after the commit of a first hello makes the next hello not-first.
 * A listener that throws makes the hello fail (the box gets {@code error internal} and comes back later).
 */
@FunctionalInterface
public interface HelloListener {

    void onHelloAccepted(Tx tx, AcceptedHello hello) throws SQLException;

    /**
     * An accepted hello.
     *
     * @param deviceId the box serial (its certificate's CN)
     * @param model the model the box reports
     * @param firstConnection whether the store had never seen this box connect
     * @param device the box's row before this hello
     */
    record AcceptedHello(String deviceId, String model, boolean firstConnection, Device device) {
    }
}
