package net.otb.server.api;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Adds the headers every answer of the API port carries, whoever wrote it (a route, a refusal before routing, the
 * 413 of the aggregator): {@code Cache-Control: no-store} unless the answer set its own (what the console fetched,
 * the fleet, the audit, the contacts, must not stay in a browser's cache), and on HTTPS
 * {@code Strict-Transport-Security}. Stateless; one instance per kind of port.
 */
@ChannelHandler.Sharable
final class ResponseHeaders extends ChannelOutboundHandlerAdapter {

    /** A year, as browsers' preload lists expect; no {@code includeSubDomains}: the API names one host. */
    static final String HSTS = "max-age=31536000";

    static final ResponseHeaders HTTPS = new ResponseHeaders(true);
    static final ResponseHeaders PLAIN = new ResponseHeaders(false);

    private final boolean https;

    private ResponseHeaders(boolean https) {
        this.https = https;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            if (!response.headers().contains(HttpHeaderNames.CACHE_CONTROL)) {
                response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            }
            if (https) {
                response.headers().set("Strict-Transport-Security", HSTS);
            }
        }
        super.write(ctx, msg, promise);
    }
}
