package net.otb.agent.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import net.otb.agent.ServerAddress;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.LogSafe;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.Disconnector;
import net.otb.protocol.codec.UnknownMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's session (docs/architecture.md#agent-protocol), agent side: {@code hello} once TLS is up, {@code welcome} within the
 * handshake timeout, heartbeats (three periods without a word from the server close the link), and every
 * server message turned into a call on the {@link SessionOwner}. One instance per connection.
 */
public final class SessionHandler extends SimpleChannelInboundHandler<Object> {

    /** Periods without any message from the server after which the link is taken as dead. */
    public static final int MISSED_HEARTBEATS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

    private final SessionOwner owner;
    private final ServerAddress server;
    private final Duration welcomeTimeout;
    private final Duration heartbeatCap;

    private Channel channel;
    private boolean welcomed;
    private int silentPeriods;
    private long pingSeq;
    private ScheduledFuture<?> welcomeTimer;
    private ScheduledFuture<?> heartbeat;
    private String closeReason;

    public SessionHandler(SessionOwner owner, ServerAddress server, Duration welcomeTimeout, Duration heartbeatCap) {
        this.owner = owner;
        this.server = server;
        this.welcomeTimeout = welcomeTimeout;
        this.heartbeatCap = heartbeatCap;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                reason("TLS handshake failed: " + handshake.cause().getMessage());
                LOG.info("{}: TLS handshake with {} failed: {}", owner.deviceId(), server,
                        LogSafe.quote(handshake.cause().getMessage()));
                ctx.close();
                return;
            }
            LOG.debug("{}: TLS up with {} ({})", owner.deviceId(), server, protocolOf(ctx));
            ctx.writeAndFlush(owner.hello()).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            welcomeTimer = ctx.executor().schedule(() -> {
                reason("no welcome within " + welcomeTimeout.toSeconds() + " s");
                LOG.info("{}: no welcome from {} within {} s; closing", owner.deviceId(), server,
                        welcomeTimeout.toSeconds());
                ctx.close();
            }, welcomeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object message) {
        silentPeriods = 0;
        if (message instanceof Welcome welcome) {
            onWelcome(ctx, welcome);
        } else if (message instanceof ProfilePush push) {
            if (!welcomed) {
                unexpected(ctx, "profile before welcome");
                return;
            }
            owner.push(push).whenComplete((answer, failure) -> {
                if (failure == null && answer != null && ctx.channel().isActive()) {
                    ctx.writeAndFlush(answer).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
                }
            });
        } else if (message instanceof Confirm confirm) {
            owner.confirm(confirm.generation());
        } else if (message instanceof Ping ping) {
            ctx.writeAndFlush(new Pong(ping.seq())).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        } else if (message instanceof Pong) {
            LOG.trace("{}: pong from {}", owner.deviceId(), server);
        } else if (message instanceof Decommission decommission) {
            reason("decommissioned: " + decommission.reason());
            owner.decommission(decommission.reason());
        } else if (message instanceof CertificateChain chain) {
            owner.certificate(chain.chain());
        } else if (message instanceof RetryAfter retry) {
            LOG.info("{}: {} asks to come back in {} s", owner.deviceId(), server, retry.seconds());
            reason("retryAfter " + retry.seconds() + " s");
            owner.retryAfter(retry.seconds());
            ctx.close();
        } else if (message instanceof ErrorMessage error) {
            onError(ctx, error);
        } else if (message instanceof UnknownMessage unknown) {
            // a newer server: say so and carry on, as the protocol asks of both ends
            LOG.info("{}: {} sent an unknown message type '{}'; ignoring it", owner.deviceId(), server,
                    LogSafe.quote(unknown.type()));
            ctx.writeAndFlush(ErrorMessage.of(ErrorCode.UNSUPPORTED, "unknown type " + unknown.type()))
                    .addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        } else {
            unexpected(ctx, "a server must not send " + typeOf(message));
        }
    }

    private void onWelcome(ChannelHandlerContext ctx, Welcome welcome) {
        if (welcomed) {
            unexpected(ctx, "a second welcome");
            return;
        }
        welcomed = true;
        cancel(welcomeTimer);
        long periodMillis = Math.min(TimeUnit.SECONDS.toMillis(welcome.heartbeatSeconds()), heartbeatCap.toMillis());
        heartbeat = ctx.executor().scheduleAtFixedRate(() -> beat(ctx), periodMillis, periodMillis,
                TimeUnit.MILLISECONDS);
        LOG.info("{}: session {} with {} (protocol {}, heartbeat {} ms)", owner.deviceId(), LogSafe.quote(welcome.sessionId()),
                server, welcome.protocol(), periodMillis);
        owner.welcomed(welcome);
        sendPendingReport();
        owner.renewal().ifPresent(renew ->
                ctx.writeAndFlush(renew).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE));
    }

    /** Sends a rollback the server has not heard of; called on welcome and whenever one happens while connected. */
    public void sendPendingReport() {
        if (!welcomed || channel == null || !channel.isActive()) {
            return;
        }
        owner.pendingReport().ifPresent(report -> channel.writeAndFlush(report).addListener(f -> {
            if (f.isSuccess()) {
                owner.reported(report);
            }
        }));
    }

    /** Closes the session from the agent's side (stop, decommission). */
    public void close(String why) {
        reason(why);
        if (channel != null) {
            channel.close();
        }
    }

    private void beat(ChannelHandlerContext ctx) {
        if (++silentPeriods >= MISSED_HEARTBEATS) {
            reason("no word from the server for " + MISSED_HEARTBEATS + " heartbeats");
            Disconnector.disconnect(ctx.channel(), LOG, owner.deviceId() + " -> server", ErrorCode.TIMEOUT,
                    MISSED_HEARTBEATS + " heartbeats missed");
            return;
        }
        ctx.writeAndFlush(new Ping(pingSeq++)).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        // a session can outlive the start of the renewal window: look again at each beat (a date comparison)
        owner.renewal().ifPresent(renew ->
                ctx.writeAndFlush(renew).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE));
    }

    private void onError(ChannelHandlerContext ctx, ErrorMessage error) {
        LOG.info("{}: {} sent error {}: {}", owner.deviceId(), server, error.code(), LogSafe.quote(error.detail()));
        owner.serverError(error);
        if (!ErrorCode.UNSUPPORTED.wire().equals(error.code())) {
            // every other error ends the session; the server closes too, this only makes it prompt
            reason("server error " + error.code() + (error.detail() == null ? "" : ": " + error.detail()));
            ctx.close();
        }
    }

    private void unexpected(ChannelHandlerContext ctx, String detail) {
        reason("protocol violation: " + detail);
        Disconnector.disconnect(ctx.channel(), LOG, owner.deviceId() + " -> server", ErrorCode.UNEXPECTED, detail);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        reason(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel(welcomeTimer);
        cancel(heartbeat);
        owner.disconnected(closeReason == null ? "connection closed by the server" : closeReason, welcomed);
        ctx.fireChannelInactive();
    }

    private void reason(String why) {
        if (closeReason == null) {
            closeReason = why;
        }
    }

    private static void cancel(ScheduledFuture<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }

    private static String protocolOf(ChannelHandlerContext ctx) {
        io.netty.handler.ssl.SslHandler tls = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        return tls == null ? "?" : tls.engine().getSession().getProtocol();
    }

    private static String typeOf(Object message) {
        return message instanceof net.otb.protocol.Message m ? m.type() : message.getClass().getSimpleName();
    }

    /** For logs and tests: whether {@code welcome} came. */
    public boolean welcomed() {
        return welcomed;
    }

}
