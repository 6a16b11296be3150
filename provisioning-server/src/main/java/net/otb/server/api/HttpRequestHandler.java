package net.otb.server.api;

import net.otb.protocol.logging.LogFields;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import net.otb.protocol.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a whole HTTP request into an {@link ApiRequest}, answers the routing refusals (400, 404, 405,
 * 415) itself and hands the rest to the worker pool. One request at a time per connection: reading
 * pauses until the answer is written, so pipelined requests are answered in order. Requests that arrived in the
 * same read (the decoder hands them over at once, whatever auto-read says) wait in this handler until the answer
 * before them is written: answered out of order, a client would pair each answer with the wrong request (and an
 * answer to a {@code HEAD} would lose its body to the next one's). One instance per channel.
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestHandler.class);

    private final Router router;
    private final Dispatcher dispatcher;
    private final ExecutorService workers;

    /** Pipelined requests waiting for the answer in progress; touched on the channel's loop only. */
    private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
    private boolean answering;

    HttpRequestHandler(Router router, Dispatcher dispatcher, ExecutorService workers) {
        this.router = router;
        this.dispatcher = dispatcher;
        this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (answering) {
            if (waiting.size() >= MAX_PIPELINED) {
                LOG.debug("event=http.pipelining_limit peer={} limit={}", ctx.channel().remoteAddress(),
                        MAX_PIPELINED);
                ctx.close();
                return;
            }
            waiting.add(request.retain());
            return;
        }
        answer(ctx, request);
    }

    /** Requests one connection may send ahead of their answers before it is closed. */
    static final int MAX_PIPELINED = 64;

    private void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
        answering = true;
        ctx.channel().config().setAutoRead(false);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String method = request.method().name();
        boolean head = method.equals("HEAD");
        if (request.decoderResult().isFailure()) {
            write(ctx, unrouted(method, Problems.badRequest("malformed HTTP request: "
                    + request.decoderResult().cause().getMessage())), false, head);
            return;
        }
        QueryStringDecoder query;
        String rawPath;
        Router.Match match;
        try {
            // the path's segments are percent-decoded while matching: a bad escape (GET /%ZZ) throws here
            query = new QueryStringDecoder(request.uri());
            rawPath = query.rawPath();
            match = router.match(method, rawPath);
        } catch (IllegalArgumentException e) {
            write(ctx, unrouted(method, Problems.badRequest("malformed request target: " + e.getMessage())), keepAlive,
                    head);
            return;
        }
        if (match.route() == null) {
            if (match.allowed().isEmpty()) {
                write(ctx, unrouted(method, Problems.routeNotFound(rawPath)), keepAlive, head);
            } else {
                Dispatcher.Rendered rendered = unrouted(method, Problems.methodNotAllowed(method, rawPath));
                rendered.headers().put("Allow", String.join(", ", match.allowed()));
                write(ctx, rendered, keepAlive, head);
            }
            return;
        }
        byte[] body = new byte[request.content().readableBytes()];
        request.content().readBytes(body);
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (body.length > 0 && !isJson(contentType)) {
            write(ctx, unrouted(method, Problems.unsupportedMediaType(contentType)), keepAlive, head);
            return;
        }
        Map<String, String> headers = new HashMap<>();
        request.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        ApiRequest apiRequest;
        try {
            apiRequest = new ApiRequest(method, QueryStringDecoder.decodeComponent(rawPath.replace("+", "%2B")),
                    match.params(), query.parameters(), headers, body, String.valueOf(ctx.channel().remoteAddress()),
                    request.uri());
        } catch (IllegalArgumentException e) {
            write(ctx, unrouted(method, Problems.badRequest("malformed request: " + e.getMessage())), keepAlive, head);
            return;
        }
        try {
            workers.execute(() -> {
                Dispatcher.Rendered rendered = dispatcher.dispatch(match.route(), apiRequest);
                ctx.executor().execute(() -> write(ctx, rendered, keepAlive, head));
            });
        } catch (RejectedExecutionException e) {
            write(ctx, Dispatcher.problem(Problems.overloaded()), keepAlive, head);
        }
    }

    /** A refusal answered before any route ran: counted (never logged per request), then rendered. */
    private Dispatcher.Rendered unrouted(String method, ProblemException problem) {
        dispatcher.unrouted(method, problem.status());
        return Dispatcher.problem(problem);
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        int semicolon = type.indexOf(';');
        String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
        return mediaType.equals("application/json") || mediaType.endsWith("+json");
    }

    private void write(ChannelHandlerContext ctx, Dispatcher.Rendered rendered, boolean keepAlive, boolean head) {
        FullHttpResponse response = HttpApiServer.toResponse(rendered, keepAlive, head);
        if (keepAlive) {
            ctx.writeAndFlush(response).addListener(f -> next(ctx));
        } else {
            releaseWaiting();
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The answer is written: the next pipelined request, or reading again. On the channel's loop. */
    private void next(ChannelHandlerContext ctx) {
        answering = false;
        FullHttpRequest queued = waiting.poll();
        if (queued == null) {
            ctx.channel().config().setAutoRead(true);
            ctx.read();
            return;
        }
        try {
            answer(ctx, queued);
        } finally {
            queued.release();
        }
    }

    private void releaseWaiting() {
        for (FullHttpRequest queued = waiting.poll(); queued != null; queued = waiting.poll()) {
            queued.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseWaiting();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("event=http.io_failure peer={} error={}", ctx.channel().remoteAddress(), LogFields.value(cause.toString()));
        } else {
            LOG.warn("event=http.failure peer={}", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
