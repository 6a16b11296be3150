package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.nio.charset.StandardCharsets;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The first handler of the HTTPS port, on an {@link EmbeddedChannel}: clear text gets an alert, TLS goes on. */
class PlainTextAlertTest {

    static SslContext tls;

    @BeforeAll
    static void context() throws Exception {
        TestPki pki = new TestPki();
        tls = SslContextBuilder.forServer(pki.server().key(), pki.server().chain()).sslProvider(SslProvider.JDK).build();
    }

    @Test
    void clearTextIsAnsweredWithAFatalAlertAndTheChannelCloses() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(HttpApiServer.Names.TLS, new PlainTextAlert(tls.newHandler(channel.alloc())));
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
        ByteBuf alert = channel.readOutbound();
        assertThat(ByteBufUtil.getBytes(alert)).containsExactly(PlainTextAlert.ALERT);
        alert.release();
        assertThat((Object) channel.readInbound()).as("nothing reaches HTTP").isNull();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aTlsHandshakeRecordIsHandedToTheTlsHandler() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(HttpApiServer.Names.TLS, new PlainTextAlert(tls.newHandler(channel.alloc())));
        // the first bytes of a ClientHello record: the rest has not arrived yet
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01}));
        assertThat(channel.pipeline().get(HttpApiServer.Names.TLS)).isInstanceOf(SslHandler.class);
        assertThat(channel.isOpen()).isTrue();
        channel.finishAndReleaseAll();
    }
}
