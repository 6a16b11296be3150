package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.testing.TlsPeers;
import net.otb.protocol.testing.TlsPeers.Handshake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An outside TLS peer, {@code openssl s_client}, against our server with each provider. Skipped when openssl
 * is missing, except in CI ({@code CI=true}), where its absence is a failure.
 */
class OpensslInteropTest {

    static final long TIMEOUT_SECONDS = 15;

    static EventLoopGroup group;
    static TestPki pki;
    static String openssl;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        Optional<String> found = onPath("openssl");
        if (found.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("openssl is not on the PATH; .ci/run installs it and CI needs this test to run");
            }
            Assumptions.abort("openssl is not on the PATH: skipping the interop test (install openssl to run it)");
        }
        openssl = found.get();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        pki = new TestPki();
        Credentials device = pki.device("OTB3-000042");
        Files.writeString(dir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        Files.writeString(dir.resolve("device.crt"), Pem.writeChain(device.chain()));
        Files.writeString(dir.resolve("device.key"), Pem.write(device.key()));
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void sClientWithADeviceCertificateCompletesTheHandshake(TlsProvider provider) throws Exception {
        try (TlsPeers.Server server = server(provider)) {
            Process client = sClient(server.port(), true);

            Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
            assertThat(seen.success()).as(seen.reason()).isTrue();
            assertThat(seen.peer().commonName()).isEqualTo("OTB3-000042");
            // our side ends the session; s_client then exits on its own
            seen.channel().close().sync();
            String output = finish(client);
            assertThat(output).contains("Verify return code: 0 (ok)").contains("TLSv1.3");
            if (provider == TlsProvider.OPENSSL) {
                assertThat(output).as("ECDHE on P-256, as docs/architecture.md#agent-protocol asks").contains("Server Temp Key: ECDH, prime256v1");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"JDK", "OPENSSL"})
    void sClientWithoutACertificateIsRefused(TlsProvider provider) throws Exception {
        try (TlsPeers.Server server = server(provider)) {
            Process client = sClient(server.port(), false);

            Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
            assertThat(seen.success()).isFalse();
            assertThat(seen.peer()).isNull();
            String output = finish(client);
            assertThat(client.exitValue()).as(output).isNotZero();
            // TLS 1.3 has "certificate required" (the JDK sends it); BoringSSL sends the older "bad certificate"
            assertThat(output.toLowerCase()).containsAnyOf("alert certificate required", "alert bad certificate");
        }
    }

    /** An outside client whose certificate is refused reads, in BoringSSL's alert, why. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"unknown-ca, unknown ca", "self-signed, unknown ca",
            "expired, certificate expired", "revoked, certificate revoked", "server-only, unsupported certificate"})
    void aRefusedCertificateGetsTheAlertThatSaysWhy(String kind, String alert) throws Exception {
        Credentials refused = switch (kind) {
            case "unknown-ca" -> TestPki.deviceOfUnknownCa("OTB3-ALERT1");
            case "self-signed" -> TestPki.selfSignedDevice("OTB3-ALERT2");
            case "expired" -> pki.expiredDevice("OTB3-ALERT3");
            case "revoked" -> pki.revokedDevice("OTB3-ALERT4");
            default -> pki.serverAuthOnlyDevice("OTB3-ALERT5");
        };
        Path cert = Files.writeString(dir.resolve(kind + ".crt"), Pem.writeChain(refused.chain()));
        Path key = Files.writeString(dir.resolve(kind + ".key"), Pem.write(refused.key()));
        try (TlsPeers.Server server = server(TlsProvider.OPENSSL)) {
            Process client = new ProcessBuilder(openssl, "s_client", "-connect", "127.0.0.1:" + server.port(),
                    "-CAfile", dir.resolve("ca.crt").toString(), "-verify_return_error", "-tls1_3",
                    "-cert", cert.toString(), "-key", key.toString()).redirectErrorStream(true).start();
            Handshake seen = server.nextHandshake(TIMEOUT_SECONDS);
            assertThat(seen.success()).isFalse();
            assertThat(finish(client).toLowerCase()).contains("alert " + alert);
        }
    }

    private static TlsPeers.Server server(TlsProvider provider) throws Exception {
        return new TlsPeers.Server(group, TlsContexts.server(pki.server(), pki.anchors(), pki.revocations(), provider));
    }

    private static Process sClient(int port, boolean withCertificate) throws Exception {
        List<String> command = new ArrayList<>(List.of(openssl, "s_client", "-connect", "127.0.0.1:" + port,
                "-CAfile", dir.resolve("ca.crt").toString(), "-verify_return_error", "-verify_ip", "127.0.0.1",
                "-tls1_3"));
        if (withCertificate) {
            command.addAll(List.of("-cert", dir.resolve("device.crt").toString(),
                    "-key", dir.resolve("device.key").toString()));
        }
        // stdin stays open (a pipe we never write to) so that s_client waits for the server to end the session
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static String finish(Process client) throws Exception {
        if (!client.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            client.destroyForcibly();
            fail("openssl s_client did not exit within " + TIMEOUT_SECONDS + " s");
        }
        client.getOutputStream().close();
        return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static Optional<String> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String folder : path.split(File.pathSeparator)) {
            Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }
}
