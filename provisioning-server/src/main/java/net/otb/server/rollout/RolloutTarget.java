package net.otb.server.rollout;

import java.util.HashSet;
import java.util.List;

/**
 * Which services a rollout changes: named ones, every active service on an offer, or every active service on a
 * box of a model. Resolved once, when the rollout is created; a service's box is the one bound then.
 */
public record RolloutTarget(Kind kind, List<String> serviceNames, String value) {

    /** The most boxes one rollout takes: its waves are written at creation, and a revert is one transaction. */
    public static final int MAX_BOXES = 10_000;

    /** How the target is given; the wire name is stored. */
    public enum Kind implements net.otb.server.store.Tx.Wire {
        SERVICES("services"), OFFER("offer"), MODEL("model");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        @Override
        public String wire() {
            return wire;
        }

        public static Kind fromWire(String wire) {
            for (Kind k : values()) {
                if (k.wire.equals(wire)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown rollout target " + wire);
        }
    }

    public RolloutTarget {
        if (kind == null) {
            throw new IllegalArgumentException("a target kind is required");
        }
        if (kind == Kind.SERVICES) {
            if (serviceNames == null || serviceNames.isEmpty() || serviceNames.size() > MAX_BOXES) {
                throw new IllegalArgumentException("serviceNames must list 1 to " + MAX_BOXES + " services");
            }
            if (serviceNames.stream().anyMatch(n -> n == null || n.isBlank())) {
                throw new IllegalArgumentException("serviceNames must not hold an empty name");
            }
            if (new HashSet<>(serviceNames).size() != serviceNames.size()) {
                throw new IllegalArgumentException("serviceNames lists a service more than once");
            }
            serviceNames = List.copyOf(serviceNames);
            value = null;
        } else {
            if (value == null || value.isBlank() || value.length() > 64) {
                throw new IllegalArgumentException("a " + kind.wire() + " target needs its " + kind.wire() + " name");
            }
            serviceNames = List.of();
        }
    }

    public static RolloutTarget services(List<String> names) {
        return new RolloutTarget(Kind.SERVICES, names, null);
    }

    public static RolloutTarget offer(String offer) {
        return new RolloutTarget(Kind.OFFER, null, offer);
    }

    public static RolloutTarget model(String model) {
        return new RolloutTarget(Kind.MODEL, null, model);
    }
}
