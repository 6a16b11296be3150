package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.otb.protocol.Welcome;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that never show a certificate must not keep a real box out: silent sockets and sockets that send a
 * TLS record a byte at a time, held open by the hundred and replaced as the server closes them, while a box with a
 * valid certificate connects, as often as a box would, and gets its {@code welcome} in its normal time every time.
 * The server runs its default limits (docs/protocol.md, "Admission").
 */
class HostilePeersTest {

    /** A box on loopback is welcomed in well under a second; five allows for a loaded test machine. */
    static final Duration NORMAL = Duration.ofSeconds(5);

    private final EventLoopGroup attackers = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Set<Channel> held = ConcurrentHashMap.newKeySet();
    private volatile boolean attacking = true;

    @AfterEach
    void stop() {
        attacking = false;
        held.forEach(Channel::close);
        attackers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Test
    void threeHundredSilentSocketsFromTheBoxsOwnAddressReplacedAsTheyCloseDoNotKeepItOut(@TempDir Path dir)
            throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            harness.registerBox("OTB3-HOSTILE1", "v3");
            AtomicInteger replaced = new AtomicInteger();
            // the probe's pace: each socket the server closes is replaced, ~25 new ones a second
            holdOpen(harness.agentPort(), "127.0.0.1", 300, false, 40, replaced);
            // the server keeps an address's share of connections in TLS set-up (64): the rest it closes
            awaitHeld(60);
            boxGetsInEveryTime(harness, "OTB3-HOSTILE1", 6);
            assertThat(replaced.get()).as("the server closed some of them to make room").isPositive();
        }
    }

    @Test
    void silentAndByteByByteSocketsFromManyAddressesDoNotKeepABoxOut(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            harness.registerBox("OTB3-HOSTILE2", "v3");
            AtomicInteger replaced = new AtomicInteger();
            for (int source = 2; source <= 9; source++) {
                holdOpen(harness.agentPort(), "127.0.0." + source, 100, source % 2 == 0, 10, replaced);
            }
            awaitHeld(400);
            boxGetsInEveryTime(harness, "OTB3-HOSTILE2", 6);
            String metrics = harness.http.get("/metrics").body();
            assertThat(metrics).contains("otb_unverified_connections");
        }
    }

    private void boxGetsInEveryTime(ServerHarness harness, String serial, int tries) throws Exception {
        for (int i = 0; i < tries; i++) {
            long started = System.nanoTime();
            try (TestAgent box = harness.agent(serial, true).connect(harness.agentPort())) {
                box.await(Welcome.class, NORMAL);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("try %d", i + 1).isLessThan(NORMAL);
            }
        }
    }

    private void awaitHeld(int count) {
        org.awaitility.Awaitility.await("hostile sockets held open").atMost(Duration.ofSeconds(20))
                .until(() -> held.size() >= count);
    }

    /**
     * Opens {@code count} connections from {@code source} that never finish a TLS handshake, and opens a new one,
     * {@code replaceMillis} later, whenever the server closes one.
     *
     * @param trickle send a TLS record header a byte every 300 ms instead of nothing
     */
    private void holdOpen(int port, String source, int count, boolean trickle, long replaceMillis,
                          AtomicInteger replaced) {
        Bootstrap bootstrap = new Bootstrap().group(attackers).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // reads and drops whatever the server says (nothing, until it closes)
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter());
                    }
                });
        Set<Channel> mine = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < count; i++) {
            open(bootstrap, port, source, trickle, mine, replaced);
        }
        // one replacement at a time, every replaceMillis, while fewer than count are open
        attackers.scheduleAtFixedRate(() -> {
            if (attacking && mine.size() < count) {
                open(bootstrap, port, source, trickle, mine, replaced);
            }
        }, replaceMillis, replaceMillis, TimeUnit.MILLISECONDS);
    }

    private void open(Bootstrap bootstrap, int port, String source, boolean trickle, Set<Channel> mine,
                      AtomicInteger replaced) {
        ChannelFuture connect = bootstrap.connect(new InetSocketAddress("127.0.0.1", port),
                new InetSocketAddress(source, 0));
        Channel channel = connect.channel();
        mine.add(channel);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                mine.remove(channel);
                return;
            }
            held.add(channel);
            if (trickle) {
                byte[] header = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
                AtomicInteger next = new AtomicInteger();
                channel.eventLoop().scheduleAtFixedRate(() -> {
                    if (channel.isActive()) {
                        channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {header[next.getAndIncrement()
                                % header.length]}));
                    }
                }, 300, 300, TimeUnit.MILLISECONDS);
            }
            channel.closeFuture().addListener(c -> {
                held.remove(channel);
                mine.remove(channel);
                replaced.incrementAndGet();
            });
        });
    }
}
