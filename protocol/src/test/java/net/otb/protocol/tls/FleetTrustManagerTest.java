package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.RevocationList;
import org.junit.jupiter.api.Test;

/** The box-certificate checks that replace the JDK's PKIX on the server, without a socket. */
class FleetTrustManagerTest {

    static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    final SecureRandom random = new SecureRandom();
    final CertificateAuthority ca = CertificateAuthority.create("Fleet CA", NOW, Duration.ofDays(30), random);
    final FleetTrustManager trust = FleetTrustManager.of(List.of(ca.certificate()), RevocationList.inMemory(),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aBoxCertificateOfTheFleetIsTrustedAndCounted() {
        X509Certificate leaf = ca.issueDevice(KeyPairs.p256(random).getPublic(), "OTB3-1", NOW, Duration.ofDays(1));

        assertThatCode(() -> trust.checkClientTrusted(new X509Certificate[] {leaf, ca.certificate()}, "EC"))
                .doesNotThrowAnyException();
        assertThat(trust.checkedChains()).isEqualTo(1);
    }

    @Test
    void aCertificateWhoseSignatureIsRememberedAsVerifiedIsRefusedAtOnceWhenRevoked() throws Exception {
        RevocationList revocations = RevocationList.inMemory();
        FleetTrustManager cached = FleetTrustManager.of(List.of(ca.certificate()), revocations,
                Clock.fixed(NOW, ZoneOffset.UTC));
        X509Certificate leaf = ca.issueDevice(KeyPairs.p256(random).getPublic(), "OTB3-7", NOW, Duration.ofDays(1));
        X509Certificate[] chain = {leaf, ca.certificate()};
        cached.checkClientTrusted(chain, "EC");
        // the second check finds the signature in the verified cache; revocation is read on every check anyway
        cached.checkClientTrusted(chain, "EC");

        revocations.revoke(leaf, NOW, "stolen");

        assertThatThrownBy(() -> cached.checkClientTrusted(chain, "EC"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("is revoked");
        assertThatThrownBy(() -> cached.checkEstablished(leaf))
                .isInstanceOf(CertificateException.class).hasMessageContaining("is revoked");
    }

    @Test
    void datesAreJudgedByTheInjectedClock() {
        X509Certificate leaf = ca.issueDevice(KeyPairs.p256(random).getPublic(), "OTB3-1", NOW, Duration.ofDays(1));
        FleetTrustManager later = FleetTrustManager.of(List.of(ca.certificate()), RevocationList.inMemory(),
                Clock.fixed(NOW.plus(Duration.ofDays(2)), ZoneOffset.UTC));

        assertThatThrownBy(() -> later.checkClientTrusted(new X509Certificate[] {leaf}, "EC"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("expired on");
    }

    @Test
    void aLeafOfAnExpiredCaIsRefused() {
        CertificateAuthority old = CertificateAuthority.create("Old CA", NOW.minus(Duration.ofDays(10)),
                Duration.ofDays(1), random);
        X509Certificate leaf = old.issue(new CertificateAuthority.Spec("OTB3-1", KeyPairs.p256(random).getPublic(),
                NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), List.of(Certificates.EKU_CLIENT_AUTH),
                List.of(), List.of()));
        FleetTrustManager oldTrust = FleetTrustManager.of(List.of(old.certificate()), RevocationList.inMemory(),
                Clock.fixed(NOW, ZoneOffset.UTC));

        assertThatThrownBy(() -> oldTrust.checkClientTrusted(new X509Certificate[] {leaf}, "EC"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("CA certificate is not valid now");
    }

    @Test
    void aBoxKeyThatIsNotP256IsRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        X509Certificate leaf = ca.issue(new CertificateAuthority.Spec("OTB3-1", rsa.generateKeyPair().getPublic(),
                NOW.minusSeconds(60), NOW.plus(Duration.ofDays(1)), List.of(Certificates.EKU_CLIENT_AUTH),
                List.of(), List.of()));

        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[] {leaf}, "RSA"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("not ECDSA P-256");
    }

    @Test
    void noChainIsRefused() {
        assertThatThrownBy(() -> trust.checkClientTrusted(new X509Certificate[0], "EC"))
                .isInstanceOf(CertificateException.class).hasMessage("the client sent no certificate");
    }
}
