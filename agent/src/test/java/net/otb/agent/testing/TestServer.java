package net.otb.agent.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import net.otb.agent.ServerAddress;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.codec.PeerNames;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.tls.PeerIdentity;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;
import net.otb.protocol.testing.TestPki;
import org.awaitility.Awaitility;

/**
 * A small scriptable agent-protocol server for tests: real mutual TLS ({@link TlsContexts#server}) and the
 * protocol's codec, bound to 127.0.0.1 on a free port. It answers {@code hello} with {@code welcome} and
 * {@code ping} with {@code pong} by itself; everything else is up to the test, through {@link Connection}s taken
 * from {@link #nextConnection}. It can be stopped and started again on the same port.
 */
public final class TestServer implements AutoCloseable {

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final SslContext sslContext;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
    private final AtomicInteger handshakes = new AtomicInteger();
    private volatile int heartbeatSeconds = 30;
    private volatile boolean autoWelcome = true;
    private volatile boolean autoPong = true;
    private Channel listener;
    private int port;

    private TestServer(EventLoopGroup group, boolean ownsGroup, SslContext sslContext) {
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.sslContext = sslContext;
    }

    /** A server with {@code pki}'s server credentials, trusting its CA, on a group of its own. */
    public static TestServer start(TestPki pki) throws SSLException, InterruptedException {
        return start(pki.server(), pki, null);
    }

    /** A server presenting {@code credentials}, on {@code group} (or one of its own when {@code null}). */
    public static TestServer start(Credentials credentials, TestPki pki, EventLoopGroup group)
            throws SSLException, InterruptedException {
        SslContext context = TlsContexts.server(credentials, pki.anchors(), pki.revocations(), TlsProvider.JDK);
        boolean own = group == null;
        TestServer server = new TestServer(own ? new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()) : group,
                own, context);
        server.bind(0);
        return server;
    }

    /** The heartbeat period the automatic {@code welcome} announces (default 30 s). */
    public TestServer heartbeatSeconds(int seconds) {
        this.heartbeatSeconds = seconds;
        return this;
    }

    /** Whether the server answers {@code hello} with {@code welcome} by itself (default yes). */
    public TestServer autoWelcome(boolean value) {
        this.autoWelcome = value;
        return this;
    }

    /** Whether the server answers {@code ping} by itself (default yes); off, the agent sees a dead server. */
    public TestServer autoPong(boolean value) {
        this.autoPong = value;
        return this;
    }

    public int port() {
        return port;
    }

    public ServerAddress address() {
        return new ServerAddress("127.0.0.1", port);
    }

    /** How many TLS handshakes succeeded so far. */
    public int handshakes() {
        return handshakes.get();
    }

    /** The next connection whose TLS handshake succeeded, waiting at most {@code timeout}. */
    public Connection nextConnection(Duration timeout) throws InterruptedException {
        Connection connection = connections.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (connection == null) {
            throw new AssertionError("no agent connected within " + timeout);
        }
        return connection;
    }

    /** Stops listening and closes every connection; {@link #restart()} binds the same port again. */
    public void stop() throws InterruptedException {
        if (listener != null) {
            listener.close().sync();
            listener = null;
        }
        channels.close().await(5, TimeUnit.SECONDS);
    }

    /**
     * Listens again on the port it had: the agent under test dials that one. Another socket may hold the port for
     * a moment (an agent's connect to a port nobody listens on can be given that very port as its own, TCP's
     * self-connect, until its handshake fails), so a refused bind is tried again until a deadline.
     */
    public void restart() {
        Awaitility.await("port " + port + " free again").atMost(Duration.ofSeconds(10))
                .pollInSameThread().pollInterval(Duration.ofMillis(50)).ignoreException(BindException.class)
                .until(() -> {
                    bind(port);
                    return true;
                });
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    private void bind(int wanted) throws InterruptedException {
        listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
                        ch.pipeline().addLast("frameDecoder", new FrameDecoder());
                        ch.pipeline().addLast("messageDecoder", MessageDecoder.INSTANCE);
                        ch.pipeline().addLast("messageEncoder", MessageEncoder.INSTANCE);
                        ch.pipeline().addLast("session", new Connection(ch));
                        ch.pipeline().addLast("lastResort", LastResortHandler.INSTANCE);
                    }
                }).bind("127.0.0.1", wanted).sync().channel();
        port = ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** One agent's connection, as the test sees it. */
    public final class Connection extends SimpleChannelInboundHandler<Object> {

        private final Channel channel;
        private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private volatile PeerIdentity peer;
        private volatile Hello hello;

        private Connection(Channel channel) {
            this.channel = channel;
            channel.closeFuture().addListener(f -> closed.complete(null));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess()) {
                SslHandler tls = ctx.pipeline().get(SslHandler.class);
                peer = PeerIdentity.of(tls.engine().getSession()).orElse(null);
                if (peer != null) {
                    ctx.channel().attr(PeerNames.PEER_NAME).set(peer.commonName());
                }
                handshakes.incrementAndGet();
                connections.add(this);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object message) {
            if (message instanceof Hello h) {
                hello = h;
                if (autoWelcome) {
                    ctx.writeAndFlush(new Welcome(1, UUID.randomUUID().toString(), heartbeatSeconds));
                }
            }
            if (message instanceof Ping ping) {
                if (autoPong) {
                    ctx.writeAndFlush(new Pong(ping.seq()));
                }
                return;
            }
            if (message instanceof Pong) {
                return;
            }
            received.add(message);
        }

        /** The identity the agent presented. */
        public PeerIdentity peer() {
            return peer;
        }

        /** The certificate the agent presented. */
        public X509Certificate certificate() {
            return peer == null ? null : peer.certificate();
        }

        /** The next message of {@code type} the agent sent (others before it are dropped), within {@code timeout}. */
        public <T> T expect(Class<T> type, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                Object message = received.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
                if (message == null) {
                    throw new AssertionError("no " + type.getSimpleName() + " from the agent within " + timeout);
                }
                if (type.isInstance(message)) {
                    return type.cast(message);
                }
            }
        }

        /** The next message the agent sent, or {@code null} after {@code timeout}; pings and pongs are not shown. */
        public Object poll(Duration timeout) throws InterruptedException {
            return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        public Connection send(Message message) {
            channel.writeAndFlush(message);
            return this;
        }

        /** Sends bytes as they are, e.g. a malformed frame. */
        public Connection sendRaw(byte[] bytes) {
            ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
            channel.writeAndFlush(buffer);
            return this;
        }

        /** Sends one frame holding {@code json}. */
        public Connection sendFrame(String json) {
            byte[] payload = json.getBytes(StandardCharsets.UTF_8);
            ByteBuf buffer = Unpooled.buffer(4 + payload.length);
            buffer.writeInt(payload.length).writeBytes(payload);
            channel.writeAndFlush(buffer);
            return this;
        }

        public Hello hello() {
            return hello;
        }

        /** Waits for the agent's {@code hello}. */
        public Hello awaitHello(Duration timeout) throws InterruptedException {
            return expect(Hello.class, timeout);
        }

        public void close() {
            channel.close().syncUninterruptibly();
        }

        public CompletableFuture<Void> closed() {
            return closed;
        }

        public boolean isOpen() {
            return channel.isActive();
        }
    }
}
