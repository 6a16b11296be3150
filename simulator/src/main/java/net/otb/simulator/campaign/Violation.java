package net.otb.simulator.campaign;

/**
 * One broken invariant found by the {@link Checker}.
 *
 * @param invariant a short stable name, e.g. {@code refund-once}
 * @param detail what was found, naming the service, order or box
 */
public record Violation(String invariant, String detail) {

    public Violation {
        if (invariant == null || invariant.isBlank() || detail == null || detail.isBlank()) {
            throw new IllegalArgumentException("a violation needs an invariant and a detail");
        }
    }

    @Override
    public String toString() {
        return invariant + ": " + detail;
    }
}
