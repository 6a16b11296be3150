package net.otb.server.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.util.Optional;
import net.otb.protocol.LogSafe;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.codec.PeerNames;
import net.otb.protocol.tls.PeerIdentity;
import net.otb.server.metrics.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits the connection (rate and cap) when it opens, then reads the peer's identity once, when the TLS
 * handshake completes, into channel attributes, and leaves the pipeline. A connection over a limit is
 * told {@code retryAfter} once TLS is up, then closed. A certificate the {@link PeerCheck} refuses (revoked or
 * expired since a resumed session's ticket was issued) is closed without a word. One per channel.
 */
final class IdentityHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityHandler.class);

    private final ConnectionLimiter limiter;
    private final Metrics metrics;
    private final PeerCheck peerCheck;
    private ConnectionLimiter.Admission admission = ConnectionLimiter.Admission.OK;

    IdentityHandler(ConnectionLimiter limiter, Metrics metrics, PeerCheck peerCheck) {
        this.limiter = limiter;
        this.metrics = metrics;
        this.peerCheck = peerCheck;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        admission = limiter.opened(remote.getAddress());
        SetupGovernor.Setup setup = admission.setup();
        if (setup != null) {
            ctx.channel().attr(SetupGovernor.SETUP).set(setup);
        }
        ctx.channel().closeFuture().addListener(f -> {
            limiter.closed();
            if (setup != null) {
                setup.end(false);
            }
        });
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            metrics.handshake(handshake.isSuccess());
            if (!handshake.isSuccess()) {
                LOG.debug("peer {}: TLS handshake failed: {}", ctx.channel().remoteAddress(), LogSafe.escape(handshake.cause()));
                ctx.close();
                return;
            }
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            Optional<PeerIdentity> identity = PeerIdentity.of(ssl.engine().getSession());
            if (identity.isEmpty()) {
                LOG.info("peer {}: no usable client certificate, closing", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            String deviceId = identity.get().commonName();
            try {
                peerCheck.check(identity.get().certificate());
            } catch (CertificateException e) {
                // a resumed session skipped the trust manager; nothing is said to a box we no longer trust
                metrics.refusedConnection("certificate");
                LOG.info("{} {}: TLS session refused: {}", LogSafe.quote(deviceId), ctx.channel().remoteAddress(),
                        LogSafe.quote(e.getMessage()));
                ctx.close();
                return;
            }
            ctx.channel().attr(ChannelAttributes.DEVICE_ID).set(deviceId);
            ctx.channel().attr(ChannelAttributes.CERTIFICATE_SERIAL).set(identity.get().serialHex());
            ctx.channel().attr(PeerNames.PEER_NAME).set(deviceId);
            if (!admission.admitted()) {
                metrics.refusedConnection(admission.reason());
                LOG.debug("{} {}: over the {} limit, retryAfter {} s", LogSafe.quote(deviceId), ctx.channel().remoteAddress(),
                        admission.reason(), admission.retryAfterSeconds());
                ctx.channel().config().setAutoRead(false);
                // whatever the box sends meanwhile (its hello) is dropped by the last-resort handler
                ctx.pipeline().remove(HandlerNames.SESSION);
                // from the tail, so that the message encoder frames it
                ctx.channel().writeAndFlush(new RetryAfter(admission.retryAfterSeconds()))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                return;
            }
            ctx.fireUserEventTriggered(evt);
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
