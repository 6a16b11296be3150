package net.otb.server.api;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 server of the order-system, admin and operations API. Requests are read whole (up to the
 * body limit) and handed to a bounded worker pool; the event loop only parses and writes.
 */
public final class HttpApiServer implements AutoCloseable {

    /** Handler names of the HTTP pipeline, in order. */
    public static final class Names {
        public static final String TLS = "tls";
        public static final String IDLE = "idle";
        public static final String CODEC = "httpCodec";
        public static final String HEADERS = "responseHeaders";
        public static final String AGGREGATOR = "aggregator";
        public static final String REQUESTS = "requests";

        private Names() {
        }
    }

    /** Closes HTTP connections idle for this long. */
    public static final int IDLE_SECONDS = 60;

    private final Router router;
    private final Dispatcher dispatcher;
    private final ExecutorService workers;
    private final int maxBodyBytes;
    private final SslContext tls;
    private Channel channel;

    private final ChannelGroup connections = new DefaultChannelGroup("otb-http", GlobalEventExecutor.INSTANCE);

    /** A plain-HTTP server (local experiments, tests of the routing alone). */
    public HttpApiServer(Router router, Dispatcher dispatcher, ExecutorService workers, int maxBodyBytes) {
        this(router, dispatcher, workers, maxBodyBytes, null);
    }

    /** @param tls the HTTPS context, or null for plain HTTP */
    public HttpApiServer(Router router, Dispatcher dispatcher, ExecutorService workers, int maxBodyBytes,
                         SslContext tls) {
        this.tls = tls;
        this.router = router;
        this.dispatcher = dispatcher;
        this.workers = workers;
        this.maxBodyBytes = maxBodyBytes;
    }

    /**
     * Binds and starts serving.
     *
     * @return the bound address (its port is the real one when 0 was asked)
     * @throws InterruptedException when interrupted while binding
     */
    public InetSocketAddress start(EventLoopGroup boss, EventLoopGroup workersGroup, String host, int port)
            throws InterruptedException {
        channel = new ServerBootstrap()
                .group(boss, workersGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        // TLS → idle close → HTTP codec → headers of every answer (no-store, HSTS) → whole-request
                        // aggregation (413 as problem+json) → routing
                        if (tls != null) {
                            ch.pipeline().addLast(Names.TLS, new PlainTextAlert(tls.newHandler(ch.alloc())));
                        }
                        ch.pipeline()
                                .addLast(Names.IDLE, new IdleStateHandler(0, 0, IDLE_SECONDS) {
                                    @Override
                                    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
                                        ctx.close();
                                    }
                                })
                                .addLast(Names.CODEC, new HttpServerCodec(4096, 8192, 8192))
                                .addLast(Names.HEADERS, tls != null ? ResponseHeaders.HTTPS : ResponseHeaders.PLAIN)
                                .addLast(Names.AGGREGATOR, new ProblemAggregator(maxBodyBytes))
                                .addLast(Names.REQUESTS, new HttpRequestHandler(router, dispatcher, workers));
                    }
                })
                .bind(host, port).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        // A kept-alive client must see the close now: left open, its next request would wait on a server
        // whose workers are gone (the simulator's client timed out this way after a restart).
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Answers a body over the limit with a 413 problem instead of Netty's bare status, then closes. */
    static final class ProblemAggregator extends HttpObjectAggregator {

        private final int limit;

        ProblemAggregator(int limit) {
            super(limit, true);
            this.limit = limit;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            if (oversized instanceof HttpRequest) {
                Dispatcher.Rendered problem = Dispatcher.problem(Problems.tooLarge(limit));
                FullHttpResponse response = toResponse(problem, false, false);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
        }
    }

    static FullHttpResponse toResponse(Dispatcher.Rendered rendered, boolean keepAlive, boolean head) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(rendered.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(rendered.body()));
        if (rendered.body().length > 0 || !rendered.contentType().isEmpty()) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, rendered.contentType());
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, rendered.body().length);
        for (Map.Entry<String, String> header : rendered.headers().entrySet()) {
            response.headers().set(header.getKey(), header.getValue());
        }
        response.headers().set(HttpHeaderNames.CONNECTION,
                keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        return response;
    }
}
