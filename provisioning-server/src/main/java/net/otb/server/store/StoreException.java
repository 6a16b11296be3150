package net.otb.server.store;

/**
 * The database failed (unreachable, full, a bug in a statement) or kept conflicting after every retry.
 * Infrastructure, never the caller's input: the HTTP side answers 503/500, the gateway closes the session
 * with {@code internal} and the box comes back later.
 */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
