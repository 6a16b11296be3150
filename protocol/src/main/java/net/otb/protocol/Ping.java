package net.otb.protocol;

/** Either side → the other: are you there? Answered by a {@link Pong} with the same sequence number. */
public record Ping(long seq) implements Message {

    public static final String TYPE = "ping";

    public Ping {
        Checks.nonNegative(seq, "seq");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
