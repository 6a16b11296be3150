package net.otb.server.rollout;

import net.otb.server.store.Tx;

/**
 * Where one box of a rollout is. {@code pending}: not changed yet; {@code pushed}: its new desired offer is set,
 * no answer yet; {@code applied}: the box applied it; {@code failed}: it reported {@code rejected} or
 * {@code rolledBack}; {@code superseded}: its service changed again (another change, another box) before it
 * answered; {@code skipped}: when its turn came it was no longer active, bound to that box, or was on the offer
 * already; {@code reverted}: put back on its previous offer by a revert; {@code withdrawn}: pushed, but the rollout
 * ended (aborted, cancelled) before the box applied it, and its change was taken back.
 */
public enum BoxState implements Tx.Wire {
    PENDING("pending"),
    PUSHED("pushed"),
    APPLIED("applied"),
    FAILED("failed"),
    SUPERSEDED("superseded"),
    SKIPPED("skipped"),
    REVERTED("reverted"),
    WITHDRAWN("withdrawn");

    private final String wire;

    BoxState(String wire) {
        this.wire = wire;
    }

    @Override
    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
        return wire;
    }

    /** Whether the box's turn in its wave is over. */
    public boolean finished() {
        return this != PENDING && this != PUSHED;
    }

    public static BoxState fromWire(String wire) {
        for (BoxState s : values()) {
            if (s.wire.equals(wire)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown rollout box state " + wire);
    }
}
