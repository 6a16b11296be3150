package net.otb.server.desired;

/**
 * A change the engine refuses: the named thing does not exist, or the change conflicts with the state.
 * The transaction should be rolled back (let it propagate); the HTTP side maps {@link Reason} to 404/409/400.
 */
public final class DesiredStateException extends RuntimeException {

    /** Why. */
    public enum Reason {
        UNKNOWN_SERVICE, UNKNOWN_DEVICE, UNKNOWN_OFFER, UNKNOWN_MODEL, ALREADY_EXISTS, IP_TAKEN, DEVICE_UNAVAILABLE, INVALID
    }

    private final Reason reason;

    public DesiredStateException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
