package net.otb.protocol.tls;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.security.cert.CertificateException;
import java.util.Optional;
import net.otb.protocol.LogSafe;
import net.otb.protocol.codec.PeerNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the peer's identity once, when the TLS handshake completes, and keeps it on the channel
 * ({@link #PEER_IDENTITY}, and its CN as {@link PeerNames#PEER_NAME} for logs). A failed handshake, or a
 * session without a usable certificate, is logged once in words (the certificate refusal when there is one)
 * and the channel is closed; the completion event then goes on so that later handlers see it too.
 * Place it right after the {@link SslHandler}. Shared: it holds no state.
 */
@ChannelHandler.Sharable
public final class PeerIdentityHandler extends ChannelInboundHandlerAdapter {

    public static final PeerIdentityHandler INSTANCE = new PeerIdentityHandler();

    /** Set on a channel whose handshake succeeded with a certificate that names the peer. */
    public static final AttributeKey<PeerIdentity> PEER_IDENTITY = AttributeKey.valueOf("otb.peerIdentity");

    private static final Logger LOG = LoggerFactory.getLogger(PeerIdentityHandler.class);

    private PeerIdentityHandler() {
    }

    /** The verified peer of this channel, or empty before (or without) a successful handshake. */
    public static Optional<PeerIdentity> of(io.netty.channel.Channel channel) {
        return Optional.ofNullable(channel.attr(PEER_IDENTITY).get());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent completion) {
            if (completion.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                Optional<PeerIdentity> identity = PeerIdentity.of(ssl.engine().getSession());
                if (identity.isEmpty()) {
                    LOG.info("TLS peer {} refused: its session holds no certificate with a CN",
                            ctx.channel().remoteAddress());
                    ctx.close();
                    return;
                }
                ctx.channel().attr(PEER_IDENTITY).set(identity.get());
                ctx.channel().attr(PeerNames.PEER_NAME).set(identity.get().commonName());
                LOG.debug("{} {}: TLS established ({}, {})", LogSafe.quote(identity.get().commonName()),
                        ctx.channel().remoteAddress(), ssl.engine().getSession().getProtocol(),
                        ssl.engine().getSession().getCipherSuite());
            } else {
                LOG.info("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(),
                        LogSafe.quote(reason(completion.cause())));
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The certificate refusal when the failure holds one (it says why), else the failure's own words. */
    public static String reason(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertificateException) {
                return t.getMessage();
            }
        }
        return failure == null ? "unknown" : String.valueOf(failure.getMessage());
    }
}
