package net.otb.protocol;

/** The error codes both sides use in {@link ErrorMessage}. */
public enum ErrorCode {
    /** The frame's length is out of bounds or the frame is cut. */
    MALFORMED_FRAME("malformedFrame"),
    /** The frame is not a JSON object of a known shape, or a field fails its check. */
    INVALID_MESSAGE("invalidMessage"),
    /** The {@code type} is unknown to this peer; the connection stays open. */
    UNSUPPORTED("unsupported"),
    /** No common protocol version. */
    UNSUPPORTED_VERSION("unsupportedVersion"),
    /** A message that is valid but not allowed now (e.g. a second hello). */
    UNEXPECTED("unexpected"),
    /** The peer's identity is not allowed (CN mismatch, unknown or revoked box). */
    FORBIDDEN("forbidden"),
    /** A newer session of the same device took over. */
    SUPERSEDED("superseded"),
    /** No hello in time, or heartbeats missed. */
    TIMEOUT("timeout"),
    /** The server is going away. */
    SHUTDOWN("shutdown"),
    /** Something failed on this side; not the peer's fault. */
    INTERNAL("internal");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
