package net.otb.protocol.testing;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.RevocationList;

/**
 * A throwaway PKI made in memory for tests: a CA, the server's credentials for {@code localhost},
 * {@code 127.0.0.1} and {@code ::1}, good device credentials, and every kind of bad certificate a test
 * of refusals needs. Shared with the other modules through the protocol test-jar.
 */
public final class TestPki {

    private final SecureRandom random = new SecureRandom();
    private final Instant now = Instant.now();
    private final CertificateAuthority authority;
    private final RevocationList revocations = RevocationList.inMemory();
    private final Credentials server;

    public TestPki() {
        authority = CertificateAuthority.create("Test CA", now, Duration.ofDays(30), random);
        KeyPair serverKey = KeyPairs.p256(random);
        X509Certificate serverCertificate = authority.issueServer(serverKey.getPublic(), "localhost",
                List.of("localhost"), List.of("127.0.0.1", "::1"), now, Duration.ofDays(30));
        server = new Credentials(serverKey.getPrivate(), List.of(serverCertificate, authority.certificate()));
    }

    public CertificateAuthority authority() {
        return authority;
    }

    public List<X509Certificate> anchors() {
        return List.of(authority.certificate());
    }

    public RevocationList revocations() {
        return revocations;
    }

    public Credentials server() {
        return server;
    }

    /** A good box certificate with CN = {@code serial}. */
    public Credentials device(String serial) {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate certificate = authority.issueDevice(key.getPublic(), serial, now, Duration.ofDays(30));
        return new Credentials(key.getPrivate(), List.of(certificate, authority.certificate()));
    }

    /** A box certificate whose validity ended yesterday. */
    public Credentials expiredDevice(String serial) {
        return custom(serial, now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)),
                List.of(Certificates.EKU_CLIENT_AUTH));
    }

    /** A box certificate valid only from tomorrow. */
    public Credentials notYetValidDevice(String serial) {
        return custom(serial, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10)),
                List.of(Certificates.EKU_CLIENT_AUTH));
    }

    /** A certificate with the serverAuth usage only, presented as a box's. */
    public Credentials serverAuthOnlyDevice(String serial) {
        return custom(serial, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(10)),
                List.of(Certificates.EKU_SERVER_AUTH));
    }

    /** A good-looking box certificate from another CA. */
    public static Credentials deviceOfUnknownCa(String serial) {
        return new TestPki().device(serial);
    }

    /**
     * A self-signed box certificate shaped like a real one (clientAuth, digitalSignature, CN = serial): a
     * CA-shaped one would be refused by BoringSSL's own client before any server could judge it.
     */
    public static Credentials selfSignedDevice(String serial) {
        Instant now = Instant.now();
        CertificateAuthority self = CertificateAuthority.create(serial, now, Duration.ofDays(10), new SecureRandom());
        X509Certificate certificate = self.issue(new CertificateAuthority.Spec(serial,
                self.certificate().getPublicKey(), now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(10)),
                List.of(Certificates.EKU_CLIENT_AUTH), List.of(), List.of()));
        return new Credentials(self.privateKey(), List.of(certificate));
    }

    /** A good box certificate that is then revoked in {@link #revocations()}. */
    public Credentials revokedDevice(String serial) {
        Credentials credentials = device(serial);
        try {
            revocations.revoke(credentials.leaf(), now, "test");
        } catch (net.otb.protocol.pki.PkiException e) {
            throw new IllegalStateException(e);
        }
        return credentials;
    }

    private Credentials custom(String serial, Instant notBefore, Instant notAfter, List<String> ekus) {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate certificate = authority.issue(new CertificateAuthority.Spec(serial, key.getPublic(),
                notBefore, notAfter, ekus, List.of(), List.of()));
        return new Credentials(key.getPrivate(), List.of(certificate, authority.certificate()));
    }
}
