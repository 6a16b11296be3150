package net.otb.simulator.fleet;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback between boxes and the server that plays the access network: it relays bytes
 * untouched (TLS stays end to end), and on command cuts every live link and refuses new ones until
 * restored. A box that must lose its link alone gets its own cutter; a fleet can share one.
 */
public final class LinkCutter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LinkCutter.class);

    private final InetSocketAddress target;
    private final ChannelGroup links = new DefaultChannelGroup("links", GlobalEventExecutor.INSTANCE);
    private final Channel listener;
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private volatile boolean blocked;

    private LinkCutter(EventLoopGroup group, InetSocketAddress listen, InetSocketAddress target)
            throws InterruptedException {
        this.target = target;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new Inbound());
                    }
                });
        this.listener = bootstrap.bind(listen).sync().channel();
    }

    /**
     * Starts a cutter listening on {@code listen} (use port 0 on loopback) and relaying to {@code target}.
     *
     * @throws InterruptedException while waiting for the bind
     */
    public static LinkCutter start(EventLoopGroup group, InetSocketAddress listen, InetSocketAddress target)
            throws InterruptedException {
        return new LinkCutter(group, listen, target);
    }

    /** Where boxes connect instead of the server. */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Cuts every live link and refuses new ones until {@link #restore()}. */
    public void cut() {
        blocked = true;
        int live = liveLinks();
        links.close();
        LOG.info("cut {} links to {}", live, target);
    }

    /** Cuts every live link once; boxes may reconnect at once. */
    public void drop() {
        links.close();
    }

    /** Lets boxes connect again. */
    public void restore() {
        blocked = false;
        LOG.info("links to {} restored", target);
    }

    public boolean isCut() {
        return blocked;
    }

    /** How many box-side connections are live (each has its server-side twin). */
    public int liveLinks() {
        return links.size() / 2;
    }

    /** Connections refused while cut. */
    public long refused() {
        return refused.get();
    }

    public long accepted() {
        return accepted.get();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        links.close().syncUninterruptibly();
    }

    /** The box side: opens the server side, then relays. */
    private final class Inbound extends ChannelInboundHandlerAdapter {

        private Channel outbound;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel inbound = ctx.channel();
            if (blocked) {
                refused.incrementAndGet();
                inbound.close();
                return;
            }
            accepted.incrementAndGet();
            links.add(inbound);
            ChannelFuture connect = new Bootstrap()
                    .group(inbound.eventLoop())
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new Relay(inbound))
                    .connect(target);
            outbound = connect.channel();
            connect.addListener((ChannelFutureListener) future -> {
                if (future.isSuccess() && !blocked) {
                    links.add(outbound);
                    inbound.read();
                    outbound.read();
                } else {
                    LOG.debug("relay to {} failed for {}", target, inbound.remoteAddress(), future.cause());
                    outbound.close();
                    inbound.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            forward(ctx.channel(), outbound, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (outbound != null) {
                outbound.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("box side of a link to {} failed", target, cause);
            ctx.close();
        }
    }

    /** The server side: relays back to the box. */
    private static final class Relay extends ChannelInboundHandlerAdapter {

        private final Channel inbound;

        Relay(Channel inbound) {
            this.inbound = inbound;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            forward(ctx.channel(), inbound, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbound.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("server side of a link failed", cause);
            ctx.close();
        }
    }

    /** Writes to the other side and reads the next chunk only once it is written: no unbounded buffering. */
    private static void forward(Channel from, Channel to, Object msg) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                from.read();
            } else {
                from.close();
                to.close();
            }
        });
    }
}
