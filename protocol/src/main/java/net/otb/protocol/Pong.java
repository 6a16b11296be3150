package net.otb.protocol;

/** Answer to {@link Ping}. */
public record Pong(long seq) implements Message {

    public static final String TYPE = "pong";

    public Pong {
        Checks.nonNegative(seq, "seq");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
