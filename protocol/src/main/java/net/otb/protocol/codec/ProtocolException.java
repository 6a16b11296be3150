package net.otb.protocol.codec;

import io.netty.handler.codec.DecoderException;
import net.otb.protocol.ErrorCode;

/** Bad input from the peer: answered with an {@code error} of this code, then the connection is closed. */
public final class ProtocolException extends DecoderException {

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String detail) {
        super(detail);
        this.code = code;
    }

    public ProtocolException(ErrorCode code, String detail, Throwable cause) {
        super(detail, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
