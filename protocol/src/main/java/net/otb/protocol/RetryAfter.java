package net.otb.protocol;

/** Server → agent: come back no sooner than this; the server then closes the connection. */
public record RetryAfter(int seconds) implements Message {

    public static final String TYPE = "retryAfter";

    public RetryAfter {
        Checks.range(seconds, 1, 86_400, "seconds");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
