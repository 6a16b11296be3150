package net.otb.server.gateway;

import io.netty.channel.Channel;
import net.otb.protocol.logging.LogFields;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.sql.SQLException;
import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.Renew;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.Disconnector;
import net.otb.protocol.codec.UnknownMessage;
import net.otb.server.desired.AgentService;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One box's session: turns its messages into {@link AgentService} calls on the box's store thread and
 * writes what they return. Holds no rule of its own, and little state, since thousands of these sit idle.
 */
final class AgentSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(AgentSessionHandler.class);

    private enum State { AWAITING_HELLO, CHECKING_HELLO, OPEN }

    private final AgentGateway gateway;
    private State state = State.AWAITING_HELLO;
    private String deviceId;
    private long pingSeq;

    AgentSessionHandler(AgentGateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel channel = ctx.channel();
        if (msg instanceof UnknownMessage unknown) {
            channel.writeAndFlush(ErrorMessage.of(ErrorCode.UNSUPPORTED, "unknown message type " + unknown.type()));
            return;
        }
        if (msg instanceof Hello hello) {
            onHello(ctx, hello);
            return;
        }
        if (state != State.OPEN) {
            violation(channel, ErrorCode.UNEXPECTED, "the first message must be hello, got " + typeOf(msg));
            return;
        }
        if (msg instanceof Ping ping) {
            channel.writeAndFlush(new Pong(ping.seq()));
        } else if (msg instanceof Pong) {
            // the idle handler has seen the read: nothing else to do
            return;
        } else if (msg instanceof Applied applied) {
            String id = deviceId;
            long token = token(channel);
            // recorded even if the box is gone by now (it did apply), unless a newer session took the box over;
            // the confirm leaves only once committed
            onStore(channel, id, new SessionTask<AgentService.Reply>(channel, id) {
                @Override
                public AgentService.Reply run(Tx tx) throws SQLException {
                    return gateway.service().applied(tx, id, token, applied);
                }

                @Override
                public void committed(AgentService.Reply reply) {
                    send(channel, reply);
                }
            });
        } else if (msg instanceof Renew renew) {
            long token = token(channel);
            onStore(channel, () -> send(channel, gateway.service().renew(deviceId, token, renew.csr())));
        } else if (msg instanceof ErrorMessage error) {
            LOG.info("event=box.error device={} peer={} code={} detail={}", deviceId, channel.remoteAddress(),
                    LogFields.value(error.code()), LogFields.value(error.detail()));
        } else {
            violation(channel, ErrorCode.UNEXPECTED, "a box does not send " + typeOf(msg));
        }
    }

    private void onHello(ChannelHandlerContext ctx, Hello hello) {
        Channel channel = ctx.channel();
        if (state != State.AWAITING_HELLO) {
            violation(channel, ErrorCode.UNEXPECTED, "a second hello in one session");
            return;
        }
        state = State.CHECKING_HELLO;
        String cn = channel.attr(ChannelAttributes.DEVICE_ID).get();
        String serial = channel.attr(ChannelAttributes.CERTIFICATE_SERIAL).get();
        if (cn == null) {
            violation(channel, ErrorCode.FORBIDDEN, "no verified identity");
            return;
        }
        onStore(channel, cn, new SessionTask<HelloResult>(channel, cn) {
            @Override
            public HelloResult run(Tx tx) throws SQLException {
                if (!channel.isActive()) {
                    // gone while queued (a storm of boxes timing out): no transaction for a dead session
                    return null;
                }
                AgentService.HelloOutcome outcome = gateway.service().hello(tx, cn, serial, hello);
                // the first push is decided in the same transaction: one commit per session set-up
                AgentService.Reply first = outcome instanceof AgentService.Accepted accepted
                        ? gateway.service().reconcile(tx, accepted.deviceId(), accepted.token(),
                        AgentService.Trigger.HELLO) : null;
                return new HelloResult(outcome, first);
            }

            @Override
            public void committed(HelloResult result) {
                if (result != null) {
                    helloCommitted(ctx, hello, result);
                }
            }
        });
    }

    /** A hello's outcome and, when accepted, what the box must be sent right after {@code welcome}. */
    private record HelloResult(AgentService.HelloOutcome outcome, AgentService.Reply first) {
    }

    private void helloCommitted(ChannelHandlerContext ctx, Hello hello, HelloResult result) {
        Channel channel = ctx.channel();
        // the set-up's work is done, accepted or refused: it counts towards the measured set-up rate
        SetupGovernor.Setup setup = channel.attr(SetupGovernor.SETUP).getAndSet(null);
        if (setup != null) {
            setup.end(true);
            gateway.admissionChanged();
        }
        Long connected = channel.attr(ChannelAttributes.CONNECTED_NANOS).get();
        if (connected != null) {
            gateway.metrics().sessionSetup((System.nanoTime() - connected) / 1e9);
        }
        String cn = channel.attr(ChannelAttributes.DEVICE_ID).get();
        if (result.outcome() instanceof AgentService.Refused refused) {
            gateway.metrics().hello("refused");
            Disconnector.disconnect(channel, LOG, cn, refused.code(), refused.detail());
            return;
        }
        AgentService.Accepted accepted = (AgentService.Accepted) result.outcome();
        gateway.metrics().hello("accepted");
        channel.attr(ChannelAttributes.OWNER_TOKEN).set(accepted.token());
        channel.eventLoop().execute(() -> {
            if (!channel.isActive()) {
                return;
            }
            deviceId = accepted.deviceId();
            state = State.OPEN;
            if (ctx.pipeline().get(HandlerNames.HELLO_TIMEOUT) != null) {
                ctx.pipeline().remove(HandlerNames.HELLO_TIMEOUT);
            }
            gateway.registry().register(deviceId, channel);
            LOG.info("event=session.open device={} peer={} instance={} protocol={} model={} firmware={} token={} "
                    + "first={}", deviceId, channel.remoteAddress(), gateway.service().instanceId(), accepted.protocol(),
                    LogFields.value(hello.model()), LogFields.value(hello.firmware()), accepted.token(),
                    accepted.firstConnection());
            channel.writeAndFlush(new Welcome(accepted.protocol(), gateway.newSessionId(),
                    gateway.config().heartbeatSeconds()));
            // a push marked sent but not written (the box left meanwhile) is sent again at its next hello
            send(channel, result.first());
        });
    }

    /** Writes a reply; once a decommission is written (it was recorded told before), the session ends. */
    static void send(Channel channel, AgentService.Reply reply, AgentGateway gateway, String deviceId) {
        List<Message> messages = reply.messages();
        for (Message message : messages) {
            if (message instanceof Decommission) {
                channel.writeAndFlush(message).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        gateway.decommissionWritten(deviceId, channel);
                    }
                });
            } else if (reply.close() && message instanceof ErrorMessage error) {
                LOG.info("event=session.closing device={} peer={} code={} detail={}", deviceId, channel.remoteAddress(),
                        error.code(), LogFields.value(error.detail()));
                gateway.registry().remove(deviceId, channel);
                channel.config().setAutoRead(false);
                channel.writeAndFlush(message).addListener(ChannelFutureListener.CLOSE);
            } else {
                channel.writeAndFlush(message);
            }
        }
        if (reply.reconcile()) {
            gateway.reconcile(deviceId, channel, AgentService.Trigger.CHANGE);
        }
    }

    /** The session's fencing token; 0 (never a box's) before its hello was accepted. */
    static long token(Channel channel) {
        Long token = channel.attr(ChannelAttributes.OWNER_TOKEN).get();
        return token == null ? 0 : token;
    }

    private void send(Channel channel, AgentService.Reply reply) {
        send(channel, reply, gateway, deviceId);
    }

    private void onStore(Channel channel, Runnable work) {
        boolean queued = gateway.executeForDevice(deviceId, () -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                storeFailed(channel, deviceId, e);
            }
        });
        if (!queued) {
            Disconnector.sendAndClose(channel, ErrorCode.SHUTDOWN, "the server is stopping");
        }
    }

    private void onStore(Channel channel, String key, StoreWriter.StoreTask<?> task) {
        if (!gateway.submitForDevice(key, task)) {
            Disconnector.sendAndClose(channel, ErrorCode.SHUTDOWN, "the server is stopping");
        }
    }

    private static void storeFailed(Channel channel, String key, RuntimeException e) {
        LOG.warn("event=session.store_failed device={} peer={} error={}", key, channel.remoteAddress(),
                LogFields.value(e.toString()));
        Disconnector.sendAndClose(channel, ErrorCode.INTERNAL, "the server failed; come back later");
    }

    /** A session's store work: a failure ends the session, as any store failure does. */
    private abstract static class SessionTask<T> implements StoreWriter.StoreTask<T> {

        private final Channel channel;
        private final String key;

        SessionTask(Channel channel, String key) {
            this.channel = channel;
            this.key = key;
        }

        @Override
        public void failed(RuntimeException e) {
            storeFailed(channel, key, e);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                violation(ctx.channel(), ErrorCode.TIMEOUT, "no message for " + 3 * gateway.config().heartbeatSeconds()
                        + " s (3 heartbeats)");
            } else if (idle.state() == IdleState.WRITER_IDLE && state == State.OPEN) {
                ctx.writeAndFlush(new Ping(pingSeq++));
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (deviceId != null) {
            gateway.registry().remove(deviceId, ctx.channel());
            LOG.debug("event=session.closed device={} peer={}", deviceId, ctx.channel().remoteAddress());
            long token = token(ctx.channel());
            if (token != 0) {
                gateway.sessionClosed(deviceId, token);
            }
        }
        super.channelInactive(ctx);
    }

    private void violation(Channel channel, ErrorCode code, String detail) {
        String who = deviceId != null ? deviceId : String.valueOf(channel.attr(ChannelAttributes.DEVICE_ID).get());
        Disconnector.disconnect(channel, LOG, who, code, detail);
    }

    private static String typeOf(Object msg) {
        return msg instanceof Message m ? m.type() : msg.getClass().getSimpleName();
    }
}
