package net.otb.agent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.state.StateStore;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Confirm;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.LastResortHandler;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.RevocationList;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;

/**
 * {@code otb-agent --self-test}: one whole session on loopback, in this process, with a throwaway CA: mutual TLS,
 * hello, welcome, a profile applied to the memory backend, confirm. It shows that this runtime (e.g. a jlink image
 * on a box) has everything the agent needs, and it is the training run from which {@code jlink.sh} records the
 * class-data-sharing archive that makes the agent start faster. Binds 127.0.0.1 only.
 */
final class SelfTest {

    private SelfTest() {
    }

    /**
     * Runs the session.
     *
     * @throws Exception saying what failed; nothing is left running
     */
    static void run(TlsProvider provider, Duration timeout) throws Exception {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("otb-agent self-test CA", now, Duration.ofHours(1), random);
        KeyPair serverKey = KeyPairs.p256(random);
        Credentials server = new Credentials(serverKey.getPrivate(), List.of(ca.issueServer(serverKey.getPublic(),
                "localhost", List.of("localhost"), List.of("127.0.0.1"), now, Duration.ofHours(1)), ca.certificate()));
        KeyPair deviceKey = KeyPairs.p256(random);
        Credentials device = new Credentials(deviceKey.getPrivate(), List.of(ca.issueDevice(deviceKey.getPublic(),
                "OTB-SELFTEST", now, Duration.ofHours(1)), ca.certificate()));
        SslContext serverTls = TlsContexts.server(server, List.of(ca.certificate()), RevocationList.inMemory(),
                TlsProvider.JDK);
        BandwidthProfile profile = new BandwidthProfile(1, "otb-selftest", "starter.v1", 500_000, 500_000, "192.0.2.1");
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(serverTls.newHandler(ch.alloc()), new FrameDecoder(),
                                    MessageDecoder.INSTANCE, MessageEncoder.INSTANCE, new Script(profile),
                                    LastResortHandler.INSTANCE);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            Agent agent = Agent.builder()
                    .servers(List.of(new ServerAddress("127.0.0.1", port)))
                    .credentials(device)
                    .tls(ClientTls.of(List.of(ca.certificate()), provider))
                    .backend(new MemoryBackend())
                    .stateStore(StateStore.inMemory())
                    .eventLoopGroup(group)
                    .listener(new AgentListener() {
                        @Override
                        public void confirmed(long generation) {
                            confirmed.complete(null);
                        }

                        @Override
                        public void disconnected(String reason) {
                            confirmed.completeExceptionally(new IllegalStateException("session failed: " + reason));
                        }
                    })
                    .build();
            agent.start().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                confirmed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                agent.stop().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                listener.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** The server's half: welcome, one profile, confirm it. */
    private static final class Script extends SimpleChannelInboundHandler<Object> {

        private final BandwidthProfile profile;

        Script(BandwidthProfile profile) {
            this.profile = profile;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object message) {
            if (message instanceof Hello) {
                ctx.write(new Welcome(1, "self-test", 30));
                ctx.writeAndFlush(ProfilePush.of(profile, 30));
            } else if (message instanceof Applied applied && applied.status() == Applied.Status.APPLIED) {
                ctx.writeAndFlush(new Confirm(applied.generation()));
            }
        }
    }
}
