package net.otb.protocol.codec;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import javax.net.ssl.SSLException;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of every pipeline: whatever exception reaches it ends the connection through
 * {@link Disconnector}. Protocol violations answer their code; expected peer failures (IO, TLS) log at
 * debug; anything else is a bug on our side and logs at warn. Shared: it holds no state.
 */
@ChannelHandler.Sharable
public final class LastResortHandler extends ChannelInboundHandlerAdapter {

    public static final LastResortHandler INSTANCE = new LastResortHandler();

    private static final Logger LOG = LoggerFactory.getLogger(LastResortHandler.class);

    private LastResortHandler() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String who = PeerNames.of(ctx.channel());
        ProtocolException violation = protocolException(cause);
        if (violation != null) {
            Disconnector.disconnect(ctx.channel(), LOG, who, violation.code(), violation.getMessage());
        } else if (isPeerFailure(cause)) {
            LOG.debug("{} {}: connection failed: {}", who, ctx.channel().remoteAddress(), LogSafe.escape(cause));
            ctx.close();
        } else {
            LOG.warn("{} {}: unexpected failure, closing", who, ctx.channel().remoteAddress(), LogSafe.escape(cause));
            Disconnector.sendAndClose(ctx.channel(), ErrorCode.INTERNAL, "internal error");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // a message nobody handled: drop it so that nothing leaks
        LOG.debug("{}: unhandled message {}", PeerNames.of(ctx.channel()), msg.getClass().getSimpleName());
        ReferenceCountUtil.release(msg);
    }

    private static ProtocolException protocolException(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ProtocolException p) {
                return p;
            }
        }
        return null;
    }

    private static boolean isPeerFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException || t instanceof IOException) {
                return true;
            }
        }
        return cause instanceof DecoderException && cause.getCause() instanceof SSLException;
    }
}
