package net.otb.server.desired;

import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;
import net.otb.server.device.DeviceState;
import net.otb.server.store.Tx;

/**
 * What the hot path persists of a box: it loads a box's state once, then writes only deltas, in the transaction
 * of the decision. A store may hold writes back and send them as a few set-based statements just before the
 * commit; a write marked conditional that finds its row changed (a newer owner's fencing token, a task another
 * transaction finished) fails the whole attempt with a {@link net.otb.server.store.RetryableConflict}, so that the
 * decision is made again on what the store holds. Reads issued elsewhere in the same transaction see every write
 * once {@link #flush} has run.
 */
interface BoxStore {

    /** The states of those of {@code deviceIds} that are registered, keyed by id. */
    Map<String, BoxState> load(Tx tx, Collection<String> deviceIds) throws SQLException;

    /**
     * Records an accepted hello's changes of the box's row; conditional on the row's token still being
     * {@code expectedToken}.
     *
     * @param activate the box was only registered: it becomes active
     * @param token the token to write (the expected one when the owner does not change)
     */
    void recordHello(Tx tx, String deviceId, String model, String firmware, String agentVersion, String certSerial,
                     boolean activate, String ownerInstance, long token, long expectedToken) throws SQLException;

    /** Records the profile the box reports in force; conditional on the box's token being {@code token}. */
    void recordApplied(Tx tx, String deviceId, String serviceName, long generation, String offer, long token)
            throws SQLException;

    /** Creates the box's profile task at {@code generation} ({@code todo}) unless it exists. */
    void createTask(Tx tx, String deviceId, String serviceName, long generation) throws SQLException;

    /** Marks the task sent on the session of {@code token}; conditional on it being open and the token the box's. */
    void markSent(Tx tx, String deviceId, String serviceName, long generation, long token) throws SQLException;

    /**
     * Finishes the task; when {@code onlyIfOpen}, conditional on it still being open (else written whatever its
     * state, as an {@code applied} report overrides any earlier end).
     */
    void finishTask(Tx tx, String deviceId, String serviceName, long generation, TaskState state, String outcome,
                    String detail, boolean onlyIfOpen) throws SQLException;

    /** Puts a rolled-back task back to {@code todo}, counting the rollback; conditional on it being as read. */
    void reopenTask(Tx tx, String deviceId, String serviceName, long generation, TaskState read, String readOutcome,
                    String detail) throws SQLException;

    /** Closes the box's open profile tasks of the service below {@code generation} as superseded. */
    void supersedeOlder(Tx tx, String deviceId, String serviceName, long generation) throws SQLException;

    /** Appends an audit event (with the transaction's principal, as {@link AuditLog#append} does). */
    void audit(Tx tx, String actor, String action, String serviceName, String deviceId, Long generation,
               String details) throws SQLException;

    /** Sets the box's state and its detail. */
    void setState(Tx tx, String deviceId, DeviceState state, String detail) throws SQLException;

    /** Writes whatever is held back, so that a statement issued next in {@code tx} sees it. */
    void flush(Tx tx) throws SQLException;
}
