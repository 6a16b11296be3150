package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.PushyKeyManager;
import net.otb.server.auth.ApiSigner;
import net.otb.server.testing.ChildServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standing "hostile peer" check: the real server in its own JVM, with its real log, meets peers that try to
 * forge log lines, send malformed paths and drip their bodies. Whatever they send, the log holds no line they
 * wrote and the server keeps answering good callers (docs/server.md "Logs", docs/api.md "Errors").
 */
class HostilePeerTest {

    /** What a forged line would start with, were a peer's value logged raw. */
    private static final String FORGED = "[main] WARN net.otb.Forged";

    @TempDir
    static Path dir;

    private static ChildServer server;
    private static SSLContext trust;
    private static EventLoopGroup loop;

    @BeforeAll
    static void start() throws Exception {
        server = ChildServer.start(dir.resolve("data"));
        List<X509Certificate> anchors = Pem.readCertificates(dir.resolve("data/pki/ca.crt"));
        trust = ApiSigner.trusting(anchors);
        loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() throws Exception {
        if (loop != null) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCertificateWhoseNameHoldsALineBreakCannotForgeALogLine() throws Exception {
        String name = "OTB3-6\n" + FORGED + " - OTB3-1 revoked";
        SSLContext pushy = SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManagerFactory trusts = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", Pem.readCertificates(dir.resolve("data/pki/ca.crt")).get(0));
        trusts.init(store);
        pushy.init(new javax.net.ssl.KeyManager[] {new PushyKeyManager(selfSigned(name))}, trusts.getTrustManagers(),
                new SecureRandom());
        try (SSLSocket socket = (SSLSocket) pushy.getSocketFactory().createSocket("127.0.0.1", server.agentPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            // TLS 1.3: the client's certificate is judged after the client's Finished; the refusal comes on read
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        } catch (IOException refused) {
            // the server refused the certificate, as it must
        }
        String refusal = server.awaitLine("event=tls.refused", Duration.ofSeconds(20));
        assertThat(refusal).contains("\\x0a" + FORGED);
        assertNoForgedLine();
    }

    @Test
    void aPathThatDecodesToALineBreakIsAnsweredAndNotLoggedRaw() throws Exception {
        String answer = exchange("GET /1.0/overTheBox/x%0A" + FORGED.replace(" ", "%20") + "%0D%0A HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 401");
        assertNoForgedLine();
    }

    @Test
    void aMalformedPathIsA400ProblemCountedNotLoggedPerRequest() throws Exception {
        int before = server.lines("WARN").size();
        for (int i = 0; i < 20; i++) {
            String answer = exchange("GET /%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .contains("malformed request target").containsIgnoringCase("Cache-Control: no-store")
                    .containsIgnoringCase("Strict-Transport-Security: max-age=31536000");
        }
        String metrics = exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(metrics).contains("otb_http_requests_total{method=\"GET\",route=\"(unrouted)\",status=\"400\"} 20");
        assertThat(server.lines("WARN")).hasSize(before);
    }

    private static void assertNoForgedLine() {
        assertThat(server.lines(FORGED)).allSatisfy(line -> assertThat(line).doesNotStartWith(FORGED));
    }

    /** Sends raw bytes over HTTPS and returns everything the server answered before it closed. */
    static String exchange(String request) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("127.0.0.1", server.httpPort())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A self-signed box certificate whose subject CN is {@code commonName}, whatever characters it holds. */
    private static Credentials selfSigned(String commonName) {
        Instant now = Instant.now();
        CertificateAuthority self = CertificateAuthority.create(commonName, now, Duration.ofDays(1), new SecureRandom());
        X509Certificate certificate = self.issue(new CertificateAuthority.Spec(commonName,
                self.certificate().getPublicKey(), now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)),
                List.of(Certificates.EKU_CLIENT_AUTH), List.of(), List.of()));
        return new Credentials(self.privateKey(), List.of(certificate));
    }
}
