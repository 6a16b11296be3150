package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.RevocationList;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.testing.TlsPeers;
import net.otb.protocol.testing.TlsPeers.Handshake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS 1.3 session resumption on the server (BoringSSL with our ticket keys), against a box of either provider:
 * a reconnect resumes without the trust manager, a restarted server with the same secret still resumes, a ticket
 * older than the rotation window falls back to a full handshake, and a resumed session's certificate is still
 * checked against the revocation list. A full handshake is told from a resumed one by the chains the server's
 * trust manager checked: a resumed handshake checks none.
 */
class SessionResumptionTest {

    static final long TIMEOUT_SECONDS = 10;
    static final Duration ROTATION = Duration.ofHours(1);
    /**
     * The port the box believes it dials. A client keeps its sessions per host and port named to its engine, not
     * per socket: a box configured with one server address resumes there whatever process answers behind it. The
     * tests connect to the real port of each server but name this one, so that a restarted server need not bind
     * its predecessor's port again (another socket may have taken it in between: "Address already in use").
     */
    static final int SERVER_PORT = 4443;

    static EventLoopGroup group;
    static TestPki pki;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        pki = new TestPki();
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** A clock the test moves by hand. */
    static final class StepClock extends Clock {
        private volatile Instant now = Instant.parse("2026-12-02T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private record Peer(SslContext context, FleetTrustManager trust) {
    }

    private Peer server(TicketKeys tickets, RevocationList revocations) throws Exception {
        FleetTrustManager trust = FleetTrustManager.of(pki.anchors(), revocations, Clock.systemUTC(), 0);
        return new Peer(TlsContexts.server(pki.server(), trust, TlsProvider.OPENSSL, tickets), trust);
    }

    /**
     * One connection: the handshake, then a byte from the server that the box reads before it closes. A TLS 1.3
     * ticket comes after the handshake, ahead of that byte: once the byte is read, the box holds its ticket.
     */
    private static Handshake handshake(TlsPeers.Server server, SslContext client) throws Exception {
        java.util.concurrent.CompletableFuture<Boolean> handshook = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> read = new java.util.concurrent.CompletableFuture<>();
        io.netty.channel.Channel channel = new io.netty.bootstrap.Bootstrap().group(group)
                .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
                    @Override
                    protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
                        ch.pipeline().addLast(client.newHandler(ch.alloc(), "127.0.0.1", SERVER_PORT));
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent done) {
                                    handshook.complete(done.isSuccess());
                                }
                            }

                            @Override
                            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                io.netty.util.ReferenceCountUtil.release(msg);
                                read.complete(null);
                            }

                            @Override
                            public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                                handshook.complete(false);
                                read.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                }).connect("127.0.0.1", server.port()).sync().channel();
        Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
        assertThat(handshook.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("the box's handshake").isTrue();
        if (seen.success()) {
            assertThat(seen.channel().pipeline().get(io.netty.handler.ssl.SslHandler.class).engine().getSession()
                    .getProtocol()).isEqualTo("TLSv1.3");
            seen.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1}));
            read.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        channel.close().sync();
        return seen;
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aBoxThatReconnectsResumesWithoutTheTrustManagerAndKeepsItsIdentity(TlsProvider clientProvider)
            throws Exception {
        TicketKeys tickets = TicketKeys.loadOrCreate(dir.resolve("secret"), ROTATION, Clock.systemUTC(),
                new SecureRandom());
        Peer peer = server(tickets, RevocationList.inMemory());
        Credentials device = pki.device("OTB3-100001");
        SslContext client = TlsContexts.client(device, pki.anchors(), clientProvider);
        try (TlsPeers.Server server = new TlsPeers.Server(group, peer.context())) {
            Handshake first = handshake(server, client);
            assertThat(first.success()).as(first.reason()).isTrue();
            assertThat(peer.trust().checkedChains()).isEqualTo(1);

            Handshake again = awaitResumed(server, client, peer.trust(), 1);
            assertThat(again.success()).as(again.reason()).isTrue();
            assertThat(again.peer().commonName()).isEqualTo("OTB3-100001");
            assertThat(again.peer().serialHex()).isEqualTo(device.leaf().getSerialNumber().toString(16));
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aRestartedServerWithTheSameSecretResumesTheTicketsItIssued(TlsProvider clientProvider) throws Exception {
        Path secret = dir.resolve("secret");
        SslContext client = TlsContexts.client(pki.device("OTB3-100002"), pki.anchors(), clientProvider);
        Peer before = server(TicketKeys.loadOrCreate(secret, ROTATION, Clock.systemUTC(), new SecureRandom()),
                RevocationList.inMemory());
        try (TlsPeers.Server server = new TlsPeers.Server(group, before.context())) {
            assertThat(handshake(server, client).success()).isTrue();
        }
        assertThat(Files.getPosixFilePermissions(secret)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        // a new process: a new context, the same secret file, the same server address for the box (SERVER_PORT)
        Peer after = server(TicketKeys.loadOrCreate(secret, ROTATION, Clock.systemUTC(), new SecureRandom()),
                RevocationList.inMemory());
        try (TlsPeers.Server server = new TlsPeers.Server(group, after.context())) {
            Handshake resumed = handshake(server, client);
            assertThat(resumed.success()).as(resumed.reason()).isTrue();
            assertThat(after.trust().checkedChains()).as("chains checked by the restarted server").isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aTicketOfThePreviousPeriodResumesAndOneFromBeforeTheWindowFallsBackToAFullHandshake(
            TlsProvider clientProvider) throws Exception {
        StepClock clock = new StepClock();
        TicketKeys tickets = TicketKeys.of(new byte[32], ROTATION, clock);
        Peer peer = server(tickets, RevocationList.inMemory());
        SslContext client = TlsContexts.client(pki.device("OTB3-100003"), pki.anchors(), clientProvider);
        try (TlsPeers.Server server = new TlsPeers.Server(group, peer.context())) {
            assertThat(handshake(server, client).success()).isTrue();
            assertThat(peer.trust().checkedChains()).isEqualTo(1);

            // one period on: the key that sealed the ticket only opens now, it still resumes (and a new ticket is
            // sealed with the new key)
            clock.advance(ROTATION);
            assertThat(tickets.install(peer.context())).isTrue();
            assertThat(handshake(server, client).success()).isTrue();
            assertThat(peer.trust().checkedChains()).as("resumed with the previous period's key").isEqualTo(1);

            // two more periods: no key of the window opened the box's last ticket: a full handshake, which succeeds
            clock.advance(ROTATION.multipliedBy(2));
            assertThat(tickets.install(peer.context())).isTrue();
            Handshake full = handshake(server, client);
            assertThat(full.success()).as(full.reason()).isTrue();
            assertThat(peer.trust().checkedChains()).as("a full handshake after the window").isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aResumedSessionOfABoxRevokedAfterItsTicketWasIssuedFailsTheEstablishedCheck(TlsProvider clientProvider)
            throws Exception {
        RevocationList revocations = RevocationList.inMemory();
        Peer peer = server(TicketKeys.of(new byte[32], ROTATION, Clock.systemUTC()), revocations);
        Credentials device = pki.device("OTB3-100004");
        SslContext client = TlsContexts.client(device, pki.anchors(), clientProvider);
        try (TlsPeers.Server server = new TlsPeers.Server(group, peer.context())) {
            Handshake first = handshake(server, client);
            peer.trust().checkEstablished(first.peer().certificate());

            revocations.revoke(device.leaf(), Instant.now(), "stolen");
            Handshake resumed = handshake(server, client);
            // the trust manager was not asked: TLS alone would let the box in
            assertThat(resumed.success()).isTrue();
            assertThat(peer.trust().checkedChains()).isEqualTo(1);
            assertThatThrownBy(() -> peer.trust().checkEstablished(resumed.peer().certificate()))
                    .isInstanceOf(CertificateException.class).hasMessageContaining("is revoked");
        }
    }

    @org.junit.jupiter.api.Test
    void withoutOurKeysATicketResumesOnlyOnTheContextThatIssuedIt() throws Exception {
        SslContext client = TlsContexts.client(pki.device("OTB3-100005"), pki.anchors(), TlsProvider.OPENSSL);
        Peer before = server(null, RevocationList.inMemory());
        try (TlsPeers.Server server = new TlsPeers.Server(group, before.context())) {
            handshake(server, client);
            // BoringSSL seals tickets with keys of its own, per context: this is why every session is checked again
            handshake(server, client);
            assertThat(before.trust().checkedChains()).as("resumed on the same context").isEqualTo(1);
        }
        Peer after = server(null, RevocationList.inMemory());
        try (TlsPeers.Server server = new TlsPeers.Server(group, after.context())) {
            Handshake full = handshake(server, client);
            assertThat(full.success()).as(full.reason()).isTrue();
            assertThat(after.trust().checkedChains()).as("a restart without our keys: a full handshake").isEqualTo(1);
        }
    }

    @org.junit.jupiter.api.Test
    void theKeysOfAPeriodAreTheSameForEveryHolderOfTheSecretAndDifferFromPeriodToPeriod() {
        StepClock clock = new StepClock();
        byte[] secret = new byte[32];
        secret[0] = 7;
        TicketKeys one = TicketKeys.of(secret, ROTATION, clock);
        TicketKeys other = TicketKeys.of(secret.clone(), ROTATION, clock);
        long epoch = one.epoch();
        assertThat(one.keysFor(epoch)[0].name()).isEqualTo(other.keysFor(epoch)[0].name());
        assertThat(one.keysFor(epoch)[0].aesKey()).isEqualTo(other.keysFor(epoch)[0].aesKey());
        assertThat(one.keysFor(epoch)[1].name()).as("the previous period's key comes second")
                .isEqualTo(one.keysFor(epoch - 1)[0].name());
        assertThat(one.keysFor(epoch + 1)[0].name()).isNotEqualTo(one.keysFor(epoch)[0].name());
        secret[0] = 8;
        assertThat(TicketKeys.of(secret, ROTATION, clock).keysFor(epoch)[0].aesKey())
                .isNotEqualTo(one.keysFor(epoch)[0].aesKey());
    }

    @org.junit.jupiter.api.Test
    void aSecretFileThatIsNotHexOrTooShortIsRefusedWithItsName() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad"), "not hex at all");
        assertThatThrownBy(() -> TicketKeys.loadOrCreate(bad, ROTATION, Clock.systemUTC(), new SecureRandom()))
                .hasMessageContaining(bad.toString()).hasMessageContaining("not hex");
        Path shortOne = Files.writeString(dir.resolve("short"), "00ff");
        assertThatThrownBy(() -> TicketKeys.loadOrCreate(shortOne, ROTATION, Clock.systemUTC(), new SecureRandom()))
                .hasMessageContaining("at least 16");
    }

    /**
     * The next handshake, which must be resumed. A TLS 1.3 ticket arrives after the handshake, so the client may
     * not hold it yet when the first connection closes at once; then it takes one more full handshake.
     */
    private static Handshake awaitResumed(TlsPeers.Server server, SslContext client, FleetTrustManager trust,
                                          long checkedBefore) throws Exception {
        Handshake seen = handshake(server, client);
        assertThat(trust.checkedChains()).as("chains checked: the reconnect was resumed").isEqualTo(checkedBefore);
        return seen;
    }
}
