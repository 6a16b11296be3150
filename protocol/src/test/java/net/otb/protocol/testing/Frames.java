package net.otb.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.otb.protocol.Message;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.codec.MessageMapper;

/**
 * Frames for codec tests: raw frames built by hand, the production pipeline on an {@link EmbeddedChannel}
 * with a recorder in the session's place, and decoding of what the channel wrote.
 */
public final class Frames {

    private Frames() {
    }

    /** A frame holding {@code payload} with its correct length. */
    public static byte[] frame(byte[] payload) {
        byte[] frame = new byte[4 + payload.length];
        frame[0] = (byte) (payload.length >>> 24);
        frame[1] = (byte) (payload.length >>> 16);
        frame[2] = (byte) (payload.length >>> 8);
        frame[3] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 4, payload.length);
        return frame;
    }

    public static byte[] frame(String json) {
        return frame(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The bytes the encoder writes for {@code message}. */
    public static byte[] encode(Message message) {
        return frame(MessageMapper.instance().write(message));
    }

    public static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** Records what reaches the session's place in the pipeline, and passes exceptions on. */
    public static final class Recorder extends ChannelInboundHandlerAdapter {
        public final List<Object> messages = new ArrayList<>();
        public final List<Throwable> failures = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            messages.add(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failures.add(cause);
            ctx.fireExceptionCaught(cause);
        }
    }

    /** A channel with the production codec stages, a recorder as the session, and the last-resort handler. */
    public static EmbeddedChannel channel(Recorder recorder) {
        return new EmbeddedChannel(new FrameDecoder(), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE, recorder,
                LastResortHandler.INSTANCE);
    }

    /** Feeds bytes in as one read. */
    public static void feed(EmbeddedChannel channel, byte[] bytes) {
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    }

    /** Decodes and releases every frame the channel wrote. */
    public static List<Object> written(EmbeddedChannel channel) {
        List<Object> out = new ArrayList<>();
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
            try {
                while (buf.isReadable()) {
                    int length = buf.readInt();
                    byte[] json = new byte[length];
                    buf.readBytes(json);
                    out.add(MessageMapper.instance().read(json, 0, length));
                }
            } finally {
                buf.release();
            }
        }
        return out;
    }
}
