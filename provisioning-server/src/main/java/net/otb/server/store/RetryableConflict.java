package net.otb.server.store;

/**
 * Thrown inside a transaction to ask {@link Database#inTransaction} to roll back and run the work again,
 * e.g. when a concurrent transaction inserted the same unique key first.
 */
public final class RetryableConflict extends RuntimeException {

    public RetryableConflict(String message) {
        super(message, null, false, false);
    }
}
