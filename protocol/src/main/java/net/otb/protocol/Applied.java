package net.otb.protocol;

/** Agent → server: the outcome of a {@link ProfilePush} of a generation. */
public record Applied(long generation, Status status, String detail) implements Message {

    public static final String TYPE = "applied";

    /** What became of a pushed generation on the box. */
    public enum Status {
        APPLIED("applied"), REJECTED("rejected"), ROLLED_BACK("rolledBack");

        private final String wire;

        Status(String wire) {
            this.wire = wire;
        }

        /** The name on the wire. */
        public String wire() {
            return wire;
        }

        /**
         * The status of a wire name.
         *
         * @throws IllegalArgumentException when the name is none of the three
         */
        public static Status fromWire(String wire) {
            for (Status status : values()) {
                if (status.wire.equals(wire)) {
                    return status;
                }
            }
            throw new IllegalArgumentException("status must be applied, rejected or rolledBack, got " + wire);
        }
    }

    public Applied {
        Checks.positive(generation, "generation");
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        Checks.optional(detail, "detail", 1_024);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
