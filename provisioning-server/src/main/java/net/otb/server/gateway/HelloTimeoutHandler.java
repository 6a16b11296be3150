package net.otb.server.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.codec.Disconnector;
import net.otb.protocol.codec.PeerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose {@code hello} has not been accepted within the timeout after the handshake.
 * The session handler removes it once the hello is accepted, which cancels the timer.
 */
final class HelloTimeoutHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(HelloTimeoutHandler.class);

    private final int seconds;
    private ScheduledFuture<?> timer;

    HelloTimeoutHandler(int seconds) {
        this.seconds = seconds;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess() && timer == null) {
            timer = ctx.executor().schedule(() -> Disconnector.disconnect(ctx.channel(), LOG,
                    PeerNames.of(ctx.channel()), ErrorCode.TIMEOUT, "no hello within " + seconds + " s"),
                    seconds, TimeUnit.SECONDS);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
