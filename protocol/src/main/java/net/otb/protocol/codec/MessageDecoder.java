package net.otb.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.otb.protocol.ErrorCode;

/**
 * The message stage: turns one frame's payload (from {@link FrameDecoder}) into a
 * {@link net.otb.protocol.Message}, or an {@link UnknownMessage} when the {@code type} is unknown.
 * The payload must be strict UTF-8 without NUL bytes: this also keeps Jackson from guessing UTF-16 or
 * UTF-32, which the protocol does not allow. Stateless, shared by every channel.
 */
@ChannelHandler.Sharable
public final class MessageDecoder extends MessageToMessageDecoder<ByteBuf> {

    public static final MessageDecoder INSTANCE = new MessageDecoder(MessageMapper.instance());

    private final MessageMapper mapper;

    private MessageDecoder(MessageMapper mapper) {
        super(ByteBuf.class);
        this.mapper = mapper;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        if (Disconnector.isClosing(ctx.channel())) {
            return;
        }
        out.add(decode(frame));
    }

    /**
     * Decodes one payload; for tools and tests that hold a frame without a pipeline.
     *
     * @throws ProtocolException when the payload is not strict UTF-8 JSON of a message
     */
    public Object decode(ByteBuf frame) {
        int length = frame.readableBytes();
        if (frame.bytesBefore((byte) 0) >= 0
                || !ByteBufUtil.isText(frame, frame.readerIndex(), length, StandardCharsets.UTF_8)) {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "the frame is not UTF-8 text");
        }
        if (frame.hasArray()) {
            return mapper.read(frame.array(), frame.arrayOffset() + frame.readerIndex(), length);
        }
        byte[] copy = new byte[length];
        frame.getBytes(frame.readerIndex(), copy);
        return mapper.read(copy, 0, length);
    }
}
