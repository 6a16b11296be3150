package net.otb.protocol;

/** Server → agent, answer to {@link Hello}: the negotiated version and the heartbeat period. */
public record Welcome(int protocol, String sessionId, int heartbeatSeconds) implements Message {

    public static final String TYPE = "welcome";

    public Welcome {
        Checks.range(protocol, 1, 1_000, "protocol");
        Checks.notBlank(sessionId, "sessionId", 64);
        Checks.range(heartbeatSeconds, 1, 3_600, "heartbeatSeconds");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
