package net.otb.server.gateway;

import io.netty.channel.Channel;
import net.otb.protocol.logging.LogFields;
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
 * Admits the connection (rate and cap) when it opens and counts it among the connections in TLS set-up
 * ({@link UnverifiedConnections}), then reads the peer's identity once, when the TLS handshake completes, into
 * channel attributes, starts its set-up ({@link SetupGovernor}), and leaves the pipeline. A connection over the rate
 * or the cap is told {@code retryAfter} once TLS is up, then closed. A certificate the {@link PeerCheck} refuses (revoked or
 * expired since a resumed session's ticket was issued) is closed without a word. One per channel.
 */
final class IdentityHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityHandler.class);

    private final ConnectionLimiter limiter;
    private final UnverifiedConnections unverified;
    private final Runnable admissionChanged;
    private final Metrics metrics;
    private final PeerCheck peerCheck;
    private ConnectionLimiter.Admission admission = ConnectionLimiter.Admission.OK;

    /** @param admissionChanged told when a set-up begins or ends (the gateway accepts again, or stops) */
    IdentityHandler(ConnectionLimiter limiter, UnverifiedConnections unverified, Runnable admissionChanged,
                    Metrics metrics, PeerCheck peerCheck) {
        this.limiter = limiter;
        this.unverified = unverified;
        this.admissionChanged = admissionChanged;
        this.metrics = metrics;
        this.peerCheck = peerCheck;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        Channel channel = ctx.channel();
        channel.attr(ChannelAttributes.CONNECTED_NANOS).set(System.nanoTime());
        InetSocketAddress remote = (InetSocketAddress) channel.remoteAddress();
        admission = limiter.opened(remote.getAddress());
        UnverifiedConnections.Admission room = unverified.accepted(channel, remote.getAddress());
        channel.closeFuture().addListener(f -> {
            limiter.closed();
            unverified.done(channel);
            SetupGovernor.Setup setup = channel.attr(SetupGovernor.SETUP).getAndSet(null);
            if (setup != null) {
                setup.end(false);
            }
            admissionChanged.run();
        });
        for (Channel older : room.evicted()) {
            // it had its grace to show a certificate: a newer connection gets its slot
            metrics.refusedConnection("unverified");
            LOG.debug("peer {}: no certificate shown within {} ms while others wait, closing", older.remoteAddress(),
                    UnverifiedConnections.GRACE_MILLIS);
            older.close();
        }
        admissionChanged.run();
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            metrics.handshake(handshake.isSuccess());
            // verified or failed: it no longer holds a slot of the connections in TLS set-up
            unverified.done(ctx.channel());
            admissionChanged.run();
            if (!handshake.isSuccess()) {
                LOG.debug("event=tls.failed peer={} error={}", ctx.channel().remoteAddress(),
                        LogFields.value(handshake.cause().toString()));
                ctx.close();
                return;
            }
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            Optional<PeerIdentity> identity = PeerIdentity.of(ssl.engine().getSession());
            if (identity.isEmpty()) {
                LOG.info("event=tls.refused peer={} reason=\"no usable client certificate\"",
                        ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            String deviceId = identity.get().commonName();
            try {
                peerCheck.check(identity.get().certificate());
            } catch (CertificateException e) {
                // a resumed session skipped the trust manager; nothing is said to a box we no longer trust
                metrics.refusedConnection("certificate");
                LOG.info("event=tls.refused device={} peer={} reason={}", LogFields.value(deviceId),
                        ctx.channel().remoteAddress(), LogFields.value(e.getMessage()));
                ctx.close();
                return;
            }
            ctx.channel().attr(ChannelAttributes.DEVICE_ID).set(deviceId);
            ctx.channel().attr(ChannelAttributes.CERTIFICATE_SERIAL).set(identity.get().serialHex());
            ctx.channel().attr(PeerNames.PEER_NAME).set(deviceId);
            if (!admission.admitted()) {
                metrics.refusedConnection(admission.reason());
                LOG.debug("event=session.retry_after device={} peer={} limit={} seconds={}", LogFields.value(deviceId),
                        ctx.channel().remoteAddress(), admission.reason(), admission.retryAfterSeconds());
                ctx.channel().config().setAutoRead(false);
                // whatever the box sends meanwhile (its hello) is dropped by the last-resort handler
                ctx.pipeline().remove(HandlerNames.SESSION);
                // from the tail, so that the message encoder frames it
                ctx.channel().writeAndFlush(new RetryAfter(admission.retryAfterSeconds()))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                return;
            }
            // the set-up counts from a verified certificate to its hello's commit; over the bound it still goes on
            // (its handshake is paid) and the gateway stops accepting until the set-ups in flight come down
            SetupGovernor setups = limiter.setups();
            SetupGovernor.Setup setup = setups.admit();
            ctx.channel().attr(SetupGovernor.SETUP).set(setup != null ? setup : setups.force());
            admissionChanged.run();
            ctx.fireUserEventTriggered(evt);
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
