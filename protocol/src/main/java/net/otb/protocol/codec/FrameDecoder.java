package net.otb.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import net.otb.protocol.ErrorCode;

/**
 * Splits the stream into frames (4-byte big-endian length N, 1 ≤ N ≤ 65,536, then N bytes) and decodes
 * each frame's JSON into a message. The length is checked before anything is allocated. After the first
 * bad frame the decoder discards all further input: the channel is about to be closed.
 * One instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    public static final int MAX_FRAME_LENGTH = 65_536;
    public static final int LENGTH_FIELD_LENGTH = 4;

    private final MessageMapper mapper;
    private boolean failed;

    public FrameDecoder() {
        this(MessageMapper.instance());
    }

    public FrameDecoder(MessageMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
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
                    "frame length " + Integer.toUnsignedString(length) + " is outside 1.." + MAX_FRAME_LENGTH);
        }
        if (in.readableBytes() < LENGTH_FIELD_LENGTH + length) {
            return;
        }
        in.skipBytes(LENGTH_FIELD_LENGTH);
        Object message;
        try {
            if (in.hasArray()) {
                message = mapper.read(in.array(), in.arrayOffset() + in.readerIndex(), length);
            } else {
                byte[] copy = new byte[length];
                in.getBytes(in.readerIndex(), copy);
                message = mapper.read(copy, 0, length);
            }
        } catch (ProtocolException e) {
            fail(in);
            throw e;
        }
        in.skipBytes(length);
        out.add(message);
    }

    /** Whether a bad frame was seen; the channel is then being closed. */
    public boolean failed() {
        return failed;
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!failed && in.isReadable()) {
            int pending = in.readableBytes();
            decode(ctx, in, out);
            if (in.isReadable() && !failed) {
                fail(in);
                throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
                        "the connection ended inside a frame (" + pending + " bytes pending)");
            }
        }
    }
}
