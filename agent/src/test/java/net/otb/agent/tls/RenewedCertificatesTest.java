package net.otb.agent.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;

class RenewedCertificatesTest {

    static final TestPki PKI = new TestPki();
    final KeyPair key = KeyPairs.p256(new SecureRandom());
    final Instant now = Instant.now();

    String chain(X509Certificate leaf) {
        return Pem.writeChain(List.of(leaf, PKI.authority().certificate()));
    }

    Credentials verify(String chainPem) throws PkiException {
        return RenewedCertificates.verify(chainPem, key, "OTB3-000321", PKI.anchors(), Clock.systemUTC());
    }

    @Test
    void aChainForTheRequestedKeyFromTheFleetCaIsAccepted() throws Exception {
        X509Certificate leaf = PKI.authority().issueDevice(key.getPublic(), "OTB3-000321", now, Duration.ofDays(90));
        Credentials renewed = verify(chain(leaf));
        assertThat(renewed.leaf()).isEqualTo(leaf);
        assertThat(renewed.key()).isEqualTo(key.getPrivate());
    }

    @Test
    void anotherBoxesSerialIsRefused() {
        X509Certificate leaf = PKI.authority().issueDevice(key.getPublic(), "OTB3-000999", now, Duration.ofDays(90));
        assertThatThrownBy(() -> verify(chain(leaf))).isInstanceOf(PkiException.class).hasMessageContaining("OTB3-000999");
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() {
        CertificateAuthority other = CertificateAuthority.create("Other CA", now, Duration.ofDays(10), new SecureRandom());
        X509Certificate leaf = other.issueDevice(key.getPublic(), "OTB3-000321", now, Duration.ofDays(90));
        assertThatThrownBy(() -> verify(Pem.writeChain(List.of(leaf, other.certificate()))))
                .isInstanceOf(PkiException.class).hasMessageContaining("does not chain");
    }

    @Test
    void aServerCertificateIsRefused() {
        X509Certificate leaf = PKI.authority().issue(new CertificateAuthority.Spec("OTB3-000321", key.getPublic(),
                now.minusSeconds(60), now.plus(Duration.ofDays(9)), List.of(Certificates.EKU_SERVER_AUTH), List.of(),
                List.of()));
        assertThatThrownBy(() -> verify(chain(leaf))).hasMessageContaining("clientAuth");
    }

    @Test
    void anExpiredCertificateIsRefused() {
        X509Certificate leaf = PKI.authority().issue(new CertificateAuthority.Spec("OTB3-000321", key.getPublic(),
                now.minus(Duration.ofDays(9)), now.minus(Duration.ofDays(1)), List.of(Certificates.EKU_CLIENT_AUTH),
                List.of(), List.of()));
        assertThatThrownBy(() -> verify(chain(leaf))).hasMessageContaining("does not chain");
    }

    @Test
    void garbageIsRefused() {
        assertThatThrownBy(() -> verify("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
                .isInstanceOf(PkiException.class);
    }
}
