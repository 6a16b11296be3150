package net.otb.server.api;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import net.otb.protocol.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of an HTTPS connection: when the first byte opens a TLS handshake record it hands the connection
 * to the {@link SslHandler}; anything else (a plain {@code GET /}) is answered with a fatal TLS alert
 * ({@code unexpected_message}) and closed, so that not one byte of HTTP is read or written in clear.
 */
final class PlainTextAlert extends ByteToMessageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(PlainTextAlert.class);

    /** TLS record type of a handshake. */
    static final int HANDSHAKE = 0x16;

    /** An alert record (TLS 1.2 framing, as TLS 1.3 also uses): fatal (2), unexpected_message (10). */
    static final byte[] ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};

    private final SslHandler tls;
    private boolean handedOver;

    PlainTextAlert(SslHandler tls) {
        this.tls = tls;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        if ((in.getByte(in.readerIndex()) & 0xff) == HANDSHAKE) {
            // the buffered bytes go on to the TLS handler when this one leaves the pipeline
            handedOver = true;
            ctx.pipeline().replace(this, HttpApiServer.Names.TLS, tls);
            return;
        }
        in.skipBytes(in.readableBytes());
        LOG.debug("http {}: not TLS, answered with an alert", ctx.channel().remoteAddress());
        ctx.writeAndFlush(Unpooled.wrappedBuffer(ALERT)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void handlerRemoved0(ChannelHandlerContext ctx) {
        if (!handedOver) {
            // never in a pipeline, the TLS handler would not free its engine (native memory with BoringSSL)
            ReferenceCountUtil.release(tls.engine());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("http {}: {}", ctx.channel().remoteAddress(), LogSafe.escape(cause));
        ctx.close();
    }
}
