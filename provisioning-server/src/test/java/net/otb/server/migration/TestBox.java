package net.otb.server.migration;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Pong;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;

/**
 * A minimal box for tests: real mTLS with its own certificate, the protocol's codec, and the agent's happy path
 * (hello with the profile in force, apply a newer generation, answer {@code applied}, note {@code confirm} and
 * {@code decommission}, answer pings). Its "applied" profile survives a reconnect, like the real agent's state on
 * disk. Thread-safe: the fields it exposes are volatile or concurrent.
 */
final class TestBox implements AutoCloseable {

    private final String serial;
    private final String model;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final List<Message> received = new CopyOnWriteArrayList<>();
    private volatile BandwidthProfile applied;
    private volatile long confirmed;
    private volatile String decommissioned;
    private volatile Welcome welcome;
    private volatile ErrorMessage error;
    private volatile Channel channel;

    TestBox(String serial, String model, Credentials credentials, List<java.security.cert.X509Certificate> anchors,
            EventLoopGroup group) throws SSLException {
        this.serial = serial;
        this.model = model;
        this.ssl = TlsContexts.client(credentials, anchors, TlsProvider.JDK);
        this.group = group;
    }

    String serial() {
        return serial;
    }

    /** Connects and says hello with the profile in force; the caller waits for {@link #welcomed()}. */
    TestBox connect(InetSocketAddress server) throws InterruptedException {
        welcome = null;
        error = null;
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // TLS → framing → JSON → encoder → the box's logic
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "127.0.0.1", server.getPort()))
                                .addLast(new FrameDecoder())
                                .addLast(MessageDecoder.INSTANCE)
                                .addLast(MessageEncoder.INSTANCE)
                                .addLast(new Logic());
                    }
                });
        Channel ch = bootstrap.connect(server).sync().channel();
        channel = ch;
        ch.pipeline().get(io.netty.handler.ssl.SslHandler.class).handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                ch.writeAndFlush(new Hello(List.of(1), serial, model, "fw-test", "test-box/1", applied,
                        List.of("shaping.htb")));
            }
        });
        return this;
    }

    boolean welcomed() {
        return welcome != null && isConnected();
    }

    boolean isConnected() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    BandwidthProfile applied() {
        return applied;
    }

    long confirmed() {
        return confirmed;
    }

    String decommissioned() {
        return decommissioned;
    }

    ErrorMessage error() {
        return error;
    }

    List<Message> received() {
        return List.copyOf(received);
    }

    /** Generations of every profile pushed to this box, in order. */
    List<Long> pushedGenerations() {
        return received.stream().filter(ProfilePush.class::isInstance).map(m -> ((ProfilePush) m).generation()).toList();
    }

    /** Drops the connection, as a box that loses power. */
    void disconnect() {
        Channel ch = channel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return serial + (isConnected() ? " connected" : " offline") + ", applied " + applied + ", received "
                + received;
    }

    @Override
    public void close() {
        disconnect();
    }

    private final class Logic extends SimpleChannelInboundHandler<Message> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message message) {
            received.add(message);
            if (message instanceof Welcome w) {
                welcome = w;
            } else if (message instanceof ProfilePush push) {
                BandwidthProfile current = applied;
                if (current == null || push.generation() > current.generation()
                        || !push.serviceName().equals(current.serviceName())) {
                    applied = push.profile();
                }
                ctx.writeAndFlush(new Applied(push.generation(), Applied.Status.APPLIED, null));
            } else if (message instanceof Confirm c) {
                confirmed = Math.max(confirmed, c.generation());
            } else if (message instanceof Decommission d) {
                // a decommissioned box clears its shaping and stops
                decommissioned = d.reason() == null ? "" : d.reason();
                applied = null;
                ctx.close();
            } else if (message instanceof Ping p) {
                ctx.writeAndFlush(new Pong(p.seq()));
            } else if (message instanceof ErrorMessage e) {
                error = e;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
