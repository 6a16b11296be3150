package net.otb.server.gateway;

/** The names of the agent pipeline's handlers, in pipeline order. */
public final class HandlerNames {

    public static final String TLS = "tls";
    public static final String IDENTITY = "identity";
    public static final String HELLO_TIMEOUT = "helloTimeout";
    public static final String IDLE = "idle";
    public static final String FRAME_DECODER = "frameDecoder";
    public static final String MESSAGE_DECODER = "messageDecoder";
    public static final String MESSAGE_ENCODER = "messageEncoder";
    public static final String SESSION = "session";
    public static final String LAST_RESORT = "lastResort";

    private HandlerNames() {
    }
}
