package net.otb.agent.session;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import net.otb.agent.ServerAddress;
import net.otb.agent.tls.ClientTlsContext;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.codec.PeerNames;

/**
 * The agent's pipeline, in order: TLS (with handshake timeout and hostname verification against the configured
 * server host) → frame decoder → message decoder → message encoder → session → last-resort error handler.
 */
public final class AgentChannelInitializer extends ChannelInitializer<SocketChannel> {

    private final ClientTlsContext sslContext;
    private final ServerAddress server;
    private final Duration handshakeTimeout;
    private final SessionHandler session;

    public AgentChannelInitializer(ClientTlsContext sslContext, ServerAddress server, Duration handshakeTimeout,
                                   SessionHandler session) {
        this.sslContext = sslContext;
        this.server = server;
        this.handshakeTimeout = handshakeTimeout;
        this.session = session;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        channel.attr(PeerNames.PEER_NAME).set("server " + server);
        SslHandler tls = sslContext.newHandler(channel.alloc(), server.host(), server.port());
        tls.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(HandlerNames.TLS, tls);
        pipeline.addLast(HandlerNames.FRAME_DECODER, new FrameDecoder());
        pipeline.addLast(HandlerNames.MESSAGE_DECODER, MessageDecoder.INSTANCE);
        pipeline.addLast(HandlerNames.MESSAGE_ENCODER, MessageEncoder.INSTANCE);
        pipeline.addLast(HandlerNames.SESSION, session);
        pipeline.addLast(HandlerNames.LAST_RESORT, LastResortHandler.INSTANCE);
    }
}
