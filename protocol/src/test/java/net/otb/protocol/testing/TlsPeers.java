package net.otb.protocol.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.tls.PeerIdentity;
import net.otb.protocol.tls.PeerIdentityHandler;

/**
 * TLS peers on loopback for tests: a server on 127.0.0.1, port 0, that reports each accepted connection's
 * handshake, and a client that reports its own. Both use the production {@link PeerIdentityHandler}.
 */
public final class TlsPeers {

    private TlsPeers() {
    }

    /** How a handshake ended on one side: the verified peer, or why it failed. */
    public record Handshake(boolean success, PeerIdentity peer, Throwable cause, Channel channel) {
        public String reason() {
            return PeerIdentityHandler.reason(cause);
        }
    }

    /** A server that accepts TLS connections and queues one {@link Handshake} per connection. */
    public static final class Server implements AutoCloseable {
        private final Channel channel;
        private final BlockingQueue<Handshake> handshakes = new LinkedBlockingQueue<>();

        public Server(EventLoopGroup group, SslContext context) throws InterruptedException {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            InetSocketAddress remote = ch.remoteAddress();
                            ch.pipeline().addLast(context.newHandler(ch.alloc(), remote.getHostString(),
                                    remote.getPort()));
                            ch.pipeline().addLast(PeerIdentityHandler.INSTANCE);
                            ch.pipeline().addLast(new Reporter(handshakes::add));
                            ch.pipeline().addLast(LastResortHandler.INSTANCE);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        public int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        /**
         * The next connection's handshake outcome.
         *
         * @throws TimeoutException when no handshake completes within {@code seconds}
         */
        public Handshake nextHandshake(long seconds) throws InterruptedException, TimeoutException {
            Handshake handshake = handshakes.poll(seconds, TimeUnit.SECONDS);
            if (handshake == null) {
                throw new TimeoutException("no server-side handshake within " + seconds + " s");
            }
            return handshake;
        }

        @Override
        public void close() throws InterruptedException {
            channel.close().sync();
        }
    }

    /** A client connection and its handshake outcome. */
    public record Client(Channel channel, CompletableFuture<Handshake> handshake) {
    }

    /** Connects to {@code 127.0.0.1:port}, verifying the server's certificate against {@code host}. */
    public static Client connect(EventLoopGroup group, SslContext context, String host, int port)
            throws InterruptedException {
        CompletableFuture<Handshake> handshake = new CompletableFuture<>();
        Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(context.newHandler(ch.alloc(), host, port));
                        ch.pipeline().addLast(PeerIdentityHandler.INSTANCE);
                        ch.pipeline().addLast(new Reporter(handshake::complete));
                        ch.pipeline().addLast(LastResortHandler.INSTANCE);
                    }
                }).connect("127.0.0.1", port).sync().channel();
        return new Client(channel, handshake);
    }

    private static final class Reporter extends ChannelInboundHandlerAdapter {
        private final java.util.function.Consumer<Handshake> sink;
        private boolean reported;

        Reporter(java.util.function.Consumer<Handshake> sink) {
            this.sink = sink;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent completion && !reported) {
                reported = true;
                sink.accept(new Handshake(completion.isSuccess(),
                        PeerIdentityHandler.of(ctx.channel()).orElse(null), completion.cause(), ctx.channel()));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!reported) {
                reported = true;
                sink.accept(new Handshake(false, null, new java.io.IOException("closed before the handshake ended"),
                        ctx.channel()));
            }
            ctx.fireChannelInactive();
        }
    }
}
