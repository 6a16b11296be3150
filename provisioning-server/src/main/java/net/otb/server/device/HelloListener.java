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
 * A listener is told of a box's first hello after the gateway loaded the box's state (at its first hello on this
 * instance, and again after anything changed the box): whatever should make it act on a later hello must tell the
 * gateway the box changed (the desired-state engine's {@code boxChanged}).
 */
@FunctionalInterface
public interface HelloListener {

    /**
     * @return whether it changed what the box must run (its service's binding or desired profile): the session's
     *         first reconcile then reads the box's state from the store again, in this transaction
     */
    boolean onHelloAccepted(Tx tx, AcceptedHello hello) throws SQLException;

    /**
     * An accepted hello.
     *
     * @param deviceId the box serial (its certificate's CN)
     * @param model the model the box reports
     * @param firstConnection whether the store had never seen this box connect
     */
    record AcceptedHello(String deviceId, String model, boolean firstConnection) {
    }
}
