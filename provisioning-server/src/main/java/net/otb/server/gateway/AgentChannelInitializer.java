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
 *   TLS (mutual, with its handshake timeout: shorter while many connections are in TLS set-up)
 *   → identity (admission on connect, counted among the unverified connections until the handshake ends; the
 *     certificate's CN read once at handshake completion, and the certificate checked again against the revocation
 *     list and its dates: a resumed session skipped the trust manager)
 *   → hello timeout (removed once the hello is accepted)
 *   → idle (3 missed heartbeats close; a quiet writer pings)
 *   → frame decoder → message decoder → message encoder
 *   → session
 *   → last resort (every uncaught failure ends the session through the one disconnect policy)
 * </pre>
 */
final class AgentChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** The TLS handshake deadline of a connection accepted while the unverified ones fill half their bound. */
    static final int PRESSED_HANDSHAKE_SECONDS = 3;

    private final SslContext sslContext;
    private final AgentGateway gateway;

    AgentChannelInitializer(SslContext sslContext, AgentGateway gateway) {
        this.sslContext = sslContext;
        this.gateway = gateway;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        GatewayConfig config = gateway.config();
        // the peer's address given to the engine names it in the trust manager's refusals (no host check server-side)
        java.net.InetSocketAddress peer = ch.remoteAddress();
        SslHandler tls = peer == null ? sslContext.newHandler(ch.alloc())
                : sslContext.newHandler(ch.alloc(), peer.getHostString(), peer.getPort());
        // while the connections in TLS set-up fill half their bound, a newcomer gets less time to show a certificate
        tls.setHandshakeTimeout(gateway.unverified().underPressure()
                ? Math.min(config.handshakeTimeoutSeconds(), PRESSED_HANDSHAKE_SECONDS)
                : config.handshakeTimeoutSeconds(), TimeUnit.SECONDS);
        int heartbeat = config.heartbeatSeconds();
        ch.pipeline()
                .addLast(HandlerNames.TLS, tls)
                .addLast(HandlerNames.IDENTITY, new IdentityHandler(gateway.limiter(), gateway.unverified(),
                        gateway::admissionChanged, gateway.metrics(), gateway.peerCheck()))
                .addLast(HandlerNames.HELLO_TIMEOUT, new HelloTimeoutHandler(config.helloTimeoutSeconds()))
                .addLast(HandlerNames.IDLE, new IdleStateHandler(3 * heartbeat, heartbeat, 0))
                .addLast(HandlerNames.FRAME_DECODER, new FrameDecoder())
                .addLast(HandlerNames.MESSAGE_DECODER, MessageDecoder.INSTANCE)
                .addLast(HandlerNames.MESSAGE_ENCODER, MessageEncoder.INSTANCE)
                .addLast(HandlerNames.SESSION, new AgentSessionHandler(gateway))
                .addLast(HandlerNames.LAST_RESORT, LastResortHandler.INSTANCE);
    }
}
