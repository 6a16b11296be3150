package net.otb.server.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;

/**
 * A minimal box for tests, built from the protocol module only: real mTLS, sends {@code hello}, records
 * every message, answers pings, and (when asked) applies every profile at once and reconnects when the
 * connection drops. Thread-safe for the test thread.
 */
public final class TestAgent implements AutoCloseable {

    private final EventLoopGroup group;
    private final SslContext sslContext;
    private final String deviceId;
    private final String model;
    private final boolean autoApply;
    private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    private volatile BandwidthProfile applied;
    private volatile Channel channel;
    private volatile IntSupplier reconnectPort;
    private volatile boolean closed;
    private volatile CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile boolean answerPings = true;
    private final List<Long> pushed = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean holdApplies;
    private final List<ProfilePush> held = new java.util.concurrent.CopyOnWriteArrayList<>();

    public TestAgent(EventLoopGroup group, Credentials credentials, List<java.security.cert.X509Certificate> anchors,
                     String deviceId, String model, boolean autoApply) {
        this.group = group;
        this.deviceId = deviceId;
        this.model = model;
        this.autoApply = autoApply;
        try {
            this.sslContext = TlsContexts.client(credentials, anchors, TlsProvider.JDK);
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connects and sends hello (with the profile in force, if any). */
    public TestAgent connect(int port) {
        return connect(port, deviceId);
    }

    /** Connects and sends a hello claiming {@code helloDeviceId} (for CN-mismatch tests). */
    public TestAgent connect(int port, String helloDeviceId) {
        io.netty.channel.ChannelFuture future = open(port, helloDeviceId);
        future.syncUninterruptibly();
        return this;
    }

    /** Connects and completes TLS but sends no hello. */
    public TestAgent connectWithoutHello(int port) {
        open(port, null).syncUninterruptibly();
        return this;
    }

    private io.netty.channel.ChannelFuture open(int port, String helloDeviceId) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        closedFuture = done;
        io.netty.channel.ChannelFuture future = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(sslContext.newHandler(c.alloc(), "127.0.0.1", port))
                                .addLast(new FrameDecoder())
                                .addLast(net.otb.protocol.codec.MessageDecoder.INSTANCE)
                                .addLast(MessageEncoder.INSTANCE)
                                .addLast(new Handler());
                    }
                }).connect("127.0.0.1", port);
        future.addListener((io.netty.channel.ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                done.complete(null);
                scheduleReconnect();
                return;
            }
            Channel ch = f.channel();
            channel = ch;
            ch.closeFuture().addListener(c -> {
                done.complete(null);
                scheduleReconnect();
            });
            if (helloDeviceId != null) {
                ch.writeAndFlush(new Hello(List.of(1), helloDeviceId, model, "fw-1", "test-agent", applied, List.of()));
            }
        });
        return future;
    }

    private void scheduleReconnect() {
        IntSupplier again = reconnectPort;
        if (again != null && !closed) {
            group.schedule(() -> {
                if (!closed) {
                    open(again.getAsInt(), deviceId);
                }
            }, 300, TimeUnit.MILLISECONDS);
        }
    }

    /** Sets the profile this box claims in force at its next hello (a box that rolled back, or was reset). */
    public TestAgent runs(BandwidthProfile profile) {
        applied = profile;
        return this;
    }

    /** From now on, pushes are received but neither applied nor answered until {@link #releaseApplies()}. */
    public TestAgent holdApplies() {
        holdApplies = true;
        return this;
    }

    /** Applies and answers the held pushes, in order, on the current connection; stops holding. */
    public void releaseApplies() {
        holdApplies = false;
        Channel ch = channel;
        for (ProfilePush push : held) {
            apply(push);
            ch.writeAndFlush(new Applied(push.generation(), Applied.Status.APPLIED, null));
        }
        held.clear();
    }

    /** Every generation pushed to this box, in the order received (all connections). */
    public List<Long> pushedGenerations() {
        return List.copyOf(pushed);
    }

    /** Drops the connection as a cut link would; the box reconnects if {@link #reconnectTo} was given. */
    public void dropConnection() {
        Channel ch = channel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
    }

    private void apply(ProfilePush push) {
        BandwidthProfile current = applied;
        if (current == null || push.generation() >= current.generation()
                || !push.serviceName().equals(current.serviceName())) {
            applied = push.profile();
        }
    }

    /** Stops answering pings (a box that hangs). */
    public TestAgent silent() {
        answerPings = false;
        return this;
    }

    /** Reconnects (to the port the supplier gives at that time) whenever the connection ends. */
    public TestAgent reconnectTo(IntSupplier port) {
        this.reconnectPort = port;
        return this;
    }

    public void send(Message message) {
        channel.writeAndFlush(message);
    }

    /** Sends one frame of raw JSON, e.g. a type the protocol does not know. */
    public void sendRawFrame(String json) {
        byte[] bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        io.netty.buffer.ByteBuf frame = channel.alloc().buffer(4 + bytes.length).writeInt(bytes.length).writeBytes(bytes);
        channel.writeAndFlush(frame);
    }

    public String deviceId() {
        return deviceId;
    }

    public BandwidthProfile applied() {
        return applied;
    }

    public boolean isActive() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** Completes when the current connection closes. */
    public CompletableFuture<Void> closeFuture() {
        return closedFuture;
    }

    /** The next received message of {@code type} matching {@code filter}; others are dropped. */
    public <T extends Message> T await(Class<T> type, Predicate<T> filter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(deviceId + ": no " + type.getSimpleName() + " within " + timeout);
            }
            Message message;
            try {
                message = received.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
            if (message != null && type.isInstance(message) && filter.test(type.cast(message))) {
                return type.cast(message);
            }
        }
    }

    public <T extends Message> T await(Class<T> type, Duration timeout) {
        return await(type, m -> true, timeout);
    }

    @Override
    public void close() {
        closed = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof Message message)) {
                return;
            }
            if (message instanceof Ping ping && answerPings) {
                ctx.writeAndFlush(new Pong(ping.seq()));
            } else if (message instanceof ProfilePush push && autoApply) {
                pushed.add(push.generation());
                if (holdApplies) {
                    held.add(push);
                } else {
                    apply(push);
                    ctx.writeAndFlush(new Applied(push.generation(), Applied.Status.APPLIED, null));
                }
            } else if (message instanceof Decommission) {
                applied = null;
                closed = true;
            }
            received.add(message);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Whether this box got a confirm of {@code generation} (drains the queue up to it). */
    public Confirm awaitConfirm(long generation, Duration timeout) {
        return await(Confirm.class, c -> c.generation() == generation, timeout);
    }
}
