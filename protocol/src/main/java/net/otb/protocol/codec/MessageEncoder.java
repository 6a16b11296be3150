package net.otb.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import net.otb.protocol.Message;

/** Writes a message as a 4-byte length and its UTF-8 JSON. Stateless, shared by every channel. */
@ChannelHandler.Sharable
public final class MessageEncoder extends MessageToByteEncoder<Message> {

    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private final MessageMapper mapper = MessageMapper.instance();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message message, ByteBuf out) {
        byte[] json = mapper.write(message);
        if (json.length > FrameDecoder.MAX_FRAME_LENGTH) {
            throw new EncoderException(message.type() + " is " + json.length + " bytes, over the frame limit");
        }
        out.writeInt(json.length);
        out.writeBytes(json);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Message msg, boolean preferDirect) {
        return ctx.alloc().ioBuffer(256);
    }
}
