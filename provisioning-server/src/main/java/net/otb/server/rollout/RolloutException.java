package net.otb.server.rollout;

/** A rollout request refused by a rule; the API turns the reason into a problem. */
public final class RolloutException extends RuntimeException {

    /** Why. */
    public enum Reason {
        /** No rollout with that id (404). */
        NOT_FOUND,
        /** The rollout's state does not allow it (409). */
        WRONG_STATE,
        /** The target holds no service that a rollout can change (409). */
        EMPTY_TARGET,
        /** A field or the target is wrong (400). */
        INVALID
    }

    private final Reason reason;
    private final String field;

    public RolloutException(Reason reason, String message) {
        this(reason, null, message);
    }

    /** @param field the request's field at fault, or null */
    public RolloutException(Reason reason, String field, String message) {
        super(message);
        this.reason = reason;
        this.field = field;
    }

    public Reason reason() {
        return reason;
    }

    /** The request's field at fault, or null. */
    public String field() {
        return field;
    }
}
