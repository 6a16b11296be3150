package net.otb.agent.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.testing.TlsPeers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The box's side of mutual TLS with the JDK provider, which the agent builds without Netty's
 * {@code JdkSslContext}: it must still present the device certificate and refuse any server that is not the
 * fleet's or not the host dialled. Real handshakes on 127.0.0.1.
 */
class ClientTlsTest {

    static final TestPki PKI = new TestPki();
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterAll
    static void stop() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void presentsTheDeviceCertificateOverTls13ToTheFleetServer() throws Exception {
        try (TlsPeers.Server server = server(PKI.server())) {
            Outcome outcome = connect(PKI.device("OTB3-TLS0001"), "localhost", server.port());

            assertThat(outcome.cause()).isNull();
            assertThat(outcome.session().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(TlsContexts.CIPHERS).contains(outcome.session().getCipherSuite());
            TlsPeers.Handshake seen = server.nextHandshake(10);
            assertThat(seen.success()).as(seen.reason()).isTrue();
            assertThat(seen.peer().commonName()).isEqualTo("OTB3-TLS0001");
        }
    }

    @Test
    void acceptsTheServerByItsIpAddressSan() throws Exception {
        try (TlsPeers.Server server = server(PKI.server())) {
            Outcome outcome = connect(PKI.device("OTB3-TLS0002"), "127.0.0.1", server.port());

            assertThat(outcome.cause()).isNull();
        }
    }

    @Test
    void refusesAServerWhoseCertificateDoesNotNameTheHostDialled() throws Exception {
        try (TlsPeers.Server server = server(PKI.server())) {
            Outcome outcome = connect(PKI.device("OTB3-TLS0003"), "otb-other.test", server.port());

            assertThat(outcome.cause()).isNotNull();
            assertThat(rootMessage(outcome.cause())).containsIgnoringCase("otb-other.test");
        }
    }

    @Test
    void refusesAServerOfAnotherCa() throws Exception {
        TestPki other = new TestPki();
        try (TlsPeers.Server server = server(other.server())) {
            Outcome outcome = connect(PKI.device("OTB3-TLS0004"), "localhost", server.port());

            assertThat(outcome.cause()).isNotNull();
            assertThat(rootMessage(outcome.cause())).contains("not by the fleet's CA");
        }
    }

    private static TlsPeers.Server server(Credentials credentials) throws Exception {
        // the server trusts the test fleet's boxes whatever certificate it presents itself
        return new TlsPeers.Server(GROUP, TlsContexts.server(credentials, PKI.anchors(), PKI.revocations(),
                TlsProvider.JDK));
    }

    private record Outcome(SSLSession session, Throwable cause) {
    }

    private static Outcome connect(Credentials device, String host, int port) throws Exception {
        ClientTlsContext context = ClientTls.of(PKI.anchors(), TlsProvider.JDK).contextFor(device);
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        SslHandler tls = context.newHandler(channel.alloc(), host, port);
                        channel.pipeline().addLast(tls, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                                if (event instanceof SslHandshakeCompletionEvent done) {
                                    outcome.complete(new Outcome(done.isSuccess() ? tls.engine().getSession() : null,
                                            done.cause()));
                                    ctx.close();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                outcome.complete(new Outcome(null, cause));
                                ctx.close();
                            }
                        });
                    }
                }).connect("127.0.0.1", port).sync();
        return outcome.get(10, TimeUnit.SECONDS);
    }

    private static String rootMessage(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" | ");
        }
        return messages.toString();
    }
}
