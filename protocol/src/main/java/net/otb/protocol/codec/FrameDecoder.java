package net.otb.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import net.otb.protocol.ErrorCode;

/**
 * The framing stage: splits the byte stream into frames (4-byte big-endian length N, 1 ≤ N ≤ 65,536, then
 * N bytes) and passes each frame's payload on as a {@link ByteBuf}; {@link MessageDecoder} must follow it.
 * The length is checked before a byte of the payload is awaited, so a peer cannot make us buffer more than
 * one maximal frame. After a bad frame, or once {@link Disconnector} has decided to close the channel,
 * everything still buffered or arriving is discarded: nothing behind a violation reaches the session.
 * One instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    public static final int MAX_FRAME_LENGTH = 65_536;
    public static final int LENGTH_FIELD_LENGTH = 4;

    private boolean failed;
    private boolean checkedNext;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed || Disconnector.isClosing(ctx.channel())) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < LENGTH_FIELD_LENGTH) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < 1 || length > MAX_FRAME_LENGTH) {
            fail(in);
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
                    "frame length " + length + " is outside 1.." + MAX_FRAME_LENGTH);
        }
        if (in.readableBytes() < LENGTH_FIELD_LENGTH + length) {
            return;
        }
        checkNextStage(ctx);
        in.skipBytes(LENGTH_FIELD_LENGTH);
        out.add(in.readRetainedSlice(length));
    }

    /** Whether a bad frame was seen; the channel is then being closed. */
    public boolean failed() {
        return failed;
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed || !in.isReadable()) {
            return;
        }
        int pending = in.readableBytes();
        decode(ctx, in, out);
        if (in.isReadable() && !failed) {
            fail(in);
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
                    "the connection ended inside a frame (" + pending + " bytes pending)");
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    /**
     * Before version 2 of this class the decoder also parsed JSON; a pipeline still written that way
     * would hand raw frames to the session. Fail loudly, once per channel, instead.
     */
    private void checkNextStage(ChannelHandlerContext ctx) {
        if (!checkedNext) {
            if (ctx.pipeline().get(MessageDecoder.class) == null) {
                throw new IllegalStateException("FrameDecoder must be followed by MessageDecoder.INSTANCE");
            }
            checkedNext = true;
        }
    }
}
