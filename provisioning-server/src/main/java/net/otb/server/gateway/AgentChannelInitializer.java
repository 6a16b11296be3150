package net.otb.server.gateway;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;

/**
 * The agent pipeline, the only place that knows its order:
 * <pre>
 *   TLS (mutual, with its handshake timeout)
 *   → identity (admission on connect; the certificate's CN read once at handshake completion, and the certificate
 *     checked again against the revocation list and its dates: a resumed session skipped the trust manager)
 *   → hello timeout (removed once the hello is accepted)
 *   → idle (3 missed heartbeats close; a quiet writer pings)
 *   → frame decoder → message decoder → message encoder
 *   → session
 *   → last resort (every uncaught failure ends the session through the one disconnect policy)
 * </pre>
 */
final class AgentChannelInitializer extends ChannelInitializer<SocketChannel> {

    private final SslContext sslContext;
    private final AgentGateway gateway;

    AgentChannelInitializer(SslContext sslContext, AgentGateway gateway) {
        this.sslContext = sslContext;
        this.gateway = gateway;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        GatewayConfig config = gateway.config();
        SslHandler tls = sslContext.newHandler(ch.alloc());
        tls.setHandshakeTimeout(config.handshakeTimeoutSeconds(), TimeUnit.SECONDS);
        int heartbeat = config.heartbeatSeconds();
        ch.pipeline()
                .addLast(HandlerNames.TLS, tls)
                .addLast(HandlerNames.IDENTITY, new IdentityHandler(gateway.limiter(), gateway.metrics(), gateway.peerCheck()))
                .addLast(HandlerNames.HELLO_TIMEOUT, new HelloTimeoutHandler(config.helloTimeoutSeconds()))
                .addLast(HandlerNames.IDLE, new IdleStateHandler(3 * heartbeat, heartbeat, 0))
                .addLast(HandlerNames.FRAME_DECODER, new FrameDecoder())
                .addLast(HandlerNames.MESSAGE_DECODER, MessageDecoder.INSTANCE)
                .addLast(HandlerNames.MESSAGE_ENCODER, MessageEncoder.INSTANCE)
                .addLast(HandlerNames.SESSION, new AgentSessionHandler(gateway))
                .addLast(HandlerNames.LAST_RESORT, LastResortHandler.INSTANCE);
    }
}
