package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.testing.PushyKeyManager;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.testing.TlsPeers;
import net.otb.protocol.testing.TlsPeers.Handshake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Mutual TLS over real sockets on loopback, with both providers: who gets in, who is refused and why. */
class MutualTlsTest {

    static final long TIMEOUT_SECONDS = 10;

    static EventLoopGroup group;
    static TestPki pki;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        pki = new TestPki();
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aGoodDeviceConnectsAndTheServerReadsItsCn(TlsProvider provider) throws Exception {
        Credentials device = pki.device("OTB3-000001");
        try (TlsPeers.Server server = server(provider)) {
            TlsPeers.Client client = TlsPeers.connect(group, TlsContexts.client(device, pki.anchors(), provider),
                    "127.0.0.1", server.port());

            Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
            assertThat(seen.success()).as(seen.reason()).isTrue();
            assertThat(seen.peer().commonName()).isEqualTo("OTB3-000001");
            assertThat(seen.peer().serialHex()).isEqualTo(device.leaf().getSerialNumber().toString(16));
            Handshake mine = client.handshake().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(mine.success()).isTrue();
            assertThat(mine.peer().commonName()).isEqualTo("localhost");
            client.channel().close().sync();
        }
    }

    /** Each bad client: how it is made, and the words the server's refusal must contain. */
    static Stream<Arguments> refusedClients() {
        List<Arguments> cases = List.of(
                Arguments.of("unknown CA", (Function<TestPki, Credentials>) p -> TestPki.deviceOfUnknownCa("OTB3-1"),
                        "not by the fleet's CA"),
                Arguments.of("self-signed", (Function<TestPki, Credentials>) p -> TestPki.selfSignedDevice("OTB3-2"),
                        "self-signed"),
                Arguments.of("expired", (Function<TestPki, Credentials>) p -> p.expiredDevice("OTB3-3"),
                        "expired on"),
                Arguments.of("not yet valid", (Function<TestPki, Credentials>) p -> p.notYetValidDevice("OTB3-4"),
                        "not valid before"),
                Arguments.of("revoked", (Function<TestPki, Credentials>) p -> p.revokedDevice("OTB3-5"),
                        "is revoked"),
                Arguments.of("serverAuth only", (Function<TestPki, Credentials>) p -> p.serverAuthOnlyDevice("OTB3-6"),
                        "lacks the clientAuth extended key usage"));
        return Stream.of(TlsProvider.JDK, TlsProvider.OPENSSL)
                .flatMap(provider -> cases.stream().map(c -> Arguments.of(provider, c.get()[0], c.get()[1], c.get()[2])));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("refusedClients")
    void aBadClientCertificatePresentedAnywayIsRefusedWithoutASession(TlsProvider provider, String what,
                                                       Function<TestPki, Credentials> credentials, String reason)
            throws Exception {
        Credentials device = credentials.apply(pki);
        SslContext pushy = SslContextBuilder.forClient().sslProvider(provider.resolve())
                .keyManager(new PushyKeyManager(device))
                .trustManager(FleetTrustManager.of(pki.anchors(), pki.revocations()))
                .protocols(TlsContexts.PROTOCOLS).ciphers(TlsContexts.CIPHERS).build();
        try (TlsPeers.Server server = server(provider)) {
            TlsPeers.Client client = TlsPeers.connect(group, pushy, "127.0.0.1", server.port());

            assertRefused(server.nextHandshake(TIMEOUT_SECONDS), reason);
            // TLS 1.3 lets the client finish before the server has judged its certificate: it learns by the close
            assertThat(client.channel().closeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void theProductionClientWithAnUnknownCertificateIsRefusedToo(TlsProvider provider) throws Exception {
        try (TlsPeers.Server server = server(provider)) {
            TlsPeers.Client client = TlsPeers.connect(group,
                    TlsContexts.client(TestPki.deviceOfUnknownCa("OTB3-9"), pki.anchors(), provider), "127.0.0.1",
                    server.port());

            assertRefused(server.nextHandshake(TIMEOUT_SECONDS), "not by the fleet's CA");
            assertThat(client.channel().closeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void aClientWithoutACertificateIsRefusedWithoutASession(TlsProvider provider) throws Exception {
        SslContext anonymous = SslContextBuilder.forClient().sslProvider(provider.resolve())
                .trustManager(FleetTrustManager.of(pki.anchors(), pki.revocations()))
                .protocols(TlsContexts.PROTOCOLS).build();
        try (TlsPeers.Server server = server(provider)) {
            TlsPeers.Client client = TlsPeers.connect(group, anonymous, "127.0.0.1", server.port());

            Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
            assertThat(seen.success()).isFalse();
            assertThat(seen.peer()).isNull();
            assertThat(seen.reason().toLowerCase()).containsAnyOf("empty client certificate chain",
                    "peer_did_not_return_a_certificate", "certificate_required");
            assertThat(client.channel().closeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void theDeviceRefusesAServerFromAnotherCa(TlsProvider provider) throws Exception {
        TestPki other = new TestPki();
        SslContext impostor = TlsContexts.server(other.server(), pki.anchors(), pki.revocations(), provider);
        try (TlsPeers.Server server = new TlsPeers.Server(group, impostor)) {
            TlsPeers.Client client = TlsPeers.connect(group,
                    TlsContexts.client(pki.device("OTB3-000007"), pki.anchors(), provider), "127.0.0.1", server.port());

            Handshake mine = client.handshake().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(mine.success()).isFalse();
            assertThat(mine.reason()).contains("not by the fleet's CA");
            assertThat(server.nextHandshake(TIMEOUT_SECONDS).success()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void theDeviceRefusesAServerWhoseNamesDoNotMatchTheHostItDialled(TlsProvider provider) throws Exception {
        try (TlsPeers.Server server = server(provider)) {
            // the server's certificate names localhost, 127.0.0.1 and ::1 only
            TlsPeers.Client client = TlsPeers.connect(group,
                    TlsContexts.client(pki.device("OTB3-000008"), pki.anchors(), provider), "otb.example",
                    server.port());

            Handshake mine = client.handshake().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(mine.success()).isFalse();
            assertThat(mine.reason()).containsIgnoringCase("otb.example");
            assertThat(server.nextHandshake(TIMEOUT_SECONDS).success()).isFalse();
        }
    }

    private static TlsPeers.Server server(TlsProvider provider) throws Exception {
        return new TlsPeers.Server(group, TlsContexts.server(pki.server(), pki.anchors(), pki.revocations(), provider));
    }

    private static void assertRefused(Handshake seen, String reason) {
        assertThat(seen.success()).as("the server completed a handshake it should have refused").isFalse();
        assertThat(seen.peer()).isNull();
        assertThat(seen.reason()).contains(reason);
    }
}
