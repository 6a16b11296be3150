package net.otb.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cutter relays a real mTLS session untouched, cuts it on command, and refuses links until restored. */
class LinkCutterTest {

    private static final TestPki PKI = new TestPki();
    private static EventLoopGroup group;
    private static Channel echoServer;

    @BeforeAll
    static void startEchoServer() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        SslContext server = TlsContexts.server(PKI.server(), PKI.anchors(), PKI.revocations(), TlsProvider.JDK);
        echoServer = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(server.newHandler(ch.alloc()));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                ctx.writeAndFlush(msg.retain());
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterAll
    static void stop() {
        echoServer.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Channel connectThrough(LinkCutter cutter, BlockingQueue<String> received) throws Exception {
        SslContext client = TlsContexts.client(PKI.device("OTB3-000001"), PKI.anchors(), TlsProvider.JDK);
        InetSocketAddress address = cutter.address();
        Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(client.newHandler(ch.alloc(), "localhost", address.getPort()));
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                received.add(msg.toString(StandardCharsets.UTF_8));
                            }
                        });
                    }
                }).connect(address).sync().channel();
        channel.pipeline().get(SslHandler.class).handshakeFuture().get(10, TimeUnit.SECONDS);
        return channel;
    }

    @Test
    void relaysAnEndToEndTlsSessionAndCutsItOnCommand() throws Exception {
        try (LinkCutter cutter = LinkCutter.start(group, new InetSocketAddress("127.0.0.1", 0),
                (InetSocketAddress) echoServer.localAddress())) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel channel = connectThrough(cutter, received);
            channel.writeAndFlush(Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8));
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
            assertThat(cutter.liveLinks()).isEqualTo(1);

            cutter.cut();

            assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cutter.isCut()).isTrue();
        }
    }

    @Test
    void refusesLinksWhileCutAndAcceptsThemOnceRestored() throws Exception {
        try (LinkCutter cutter = LinkCutter.start(group, new InetSocketAddress("127.0.0.1", 0),
                (InetSocketAddress) echoServer.localAddress())) {
            cutter.cut();
            Channel refused = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                        }
                    }).connect(cutter.address()).sync().channel();
            assertThat(refused.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> cutter.refused() == 1);

            cutter.restore();
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            Channel channel = connectThrough(cutter, received);
            channel.writeAndFlush(Unpooled.copiedBuffer("again", StandardCharsets.UTF_8));
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("again");
            channel.close().sync();
        }
    }
}
