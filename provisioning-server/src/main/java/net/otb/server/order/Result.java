package net.otb.server.order;

import java.util.function.Function;

/**
 * The outcome of a rule: accepted with a value, or rejected with a {@link Refusal}. Rules return refusals as
 * values; only infrastructure failures are exceptions.
 *
 * @param <T> the accepted value's type
 */
public sealed interface Result<T> {

    /** The request passed the rules. */
    record Accepted<T>(T value) implements Result<T> {
    }

    /** The request was refused, and why. */
    record Rejected<T>(Refusal refusal) implements Result<T> {
        public Rejected {
            java.util.Objects.requireNonNull(refusal, "refusal");
        }
    }

    static <T> Result<T> accepted(T value) {
        return new Accepted<>(value);
    }

    static <T> Result<T> rejected(Refusal refusal) {
        return new Rejected<>(refusal);
    }

    default boolean isAccepted() {
        return this instanceof Accepted;
    }

    /**
     * @throws IllegalStateException if this is a refusal
     */
    default T value() {
        if (this instanceof Accepted<T> accepted) {
            return accepted.value();
        }
        throw new IllegalStateException("rejected: " + ((Rejected<T>) this).refusal().reason());
    }

    /**
     * @throws IllegalStateException if this was accepted
     */
    default Refusal refusal() {
        if (this instanceof Rejected<T> rejected) {
            return rejected.refusal();
        }
        throw new IllegalStateException("accepted, no refusal");
    }

    /** Applies {@code next} to an accepted value; a refusal passes through. */
    default <U> Result<U> then(Function<? super T, Result<U>> next) {
        if (this instanceof Accepted<T> accepted) {
            return next.apply(accepted.value());
        }
        return new Rejected<>(((Rejected<T>) this).refusal());
    }
}
