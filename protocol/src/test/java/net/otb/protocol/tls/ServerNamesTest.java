package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.KeyPairs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The box's check that the server certificate names the host it dialled. */
class ServerNamesTest {

    static final SecureRandom RANDOM = new SecureRandom();
    static final Instant NOW = Instant.now();
    static final CertificateAuthority CA = CertificateAuthority.create("Names CA", NOW, Duration.ofDays(1), RANDOM);

    static X509Certificate server(List<String> dns, List<String> ips) {
        return CA.issueServer(KeyPairs.p256(RANDOM).getPublic(), "otb-provisioning", dns, ips, NOW,
                Duration.ofDays(1));
    }

    @ParameterizedTest
    @CsvSource({
        "prov.otb.example, prov.otb.example, true",
        "prov.otb.example, PROV.Otb.Example., true",
        "prov.otb.example, otb.example, false",
        "prov.otb.example, xprov.otb.example, false",
        "*.otb.example, prov.otb.example, true",
        "*.otb.example, a.prov.otb.example, false",
        "*.otb.example, otb.example, false",
        "*.example, prov.example, false",
        "p*.otb.example, prov.otb.example, false",
        "*.*.example, a.b.example, false",
    })
    void dnsNamesMatchExactlyOrByOneLeftMostWildcardLabel(String pattern, String host, boolean matches) {
        assertThat(ServerNames.dnsMatches(pattern, host)).isEqualTo(matches);
    }

    @Test
    void anAddressLiteralMatchesOnlyAnIpAddressName() throws Exception {
        X509Certificate certificate = server(List.of("localhost", "127.0.0.2"), List.of("127.0.0.1", "2001:db8::1"));

        assertThatCode(() -> ServerNames.check(certificate, "127.0.0.1")).doesNotThrowAnyException();
        assertThatCode(() -> ServerNames.check(certificate, "2001:DB8:0:0:0:0:0:1")).doesNotThrowAnyException();
        assertThatCode(() -> ServerNames.check(certificate, "[2001:db8::1]")).doesNotThrowAnyException();
        assertThatCode(() -> ServerNames.check(certificate, "localhost")).doesNotThrowAnyException();
        // an address written as a DNS name in the certificate does not count
        assertThatThrownBy(() -> ServerNames.check(certificate, "127.0.0.2")).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> ServerNames.check(certificate, "127.0.0.3"))
                .isInstanceOf(CertificateException.class)
                .hasMessage("the server certificate does not name 127.0.0.3 (it names localhost, 127.0.0.2, "
                        + "127.0.0.1, 2001:db8:0:0:0:0:0:1)");
    }

    @Test
    void aCertificateWithoutNamesMatchesNothingNotEvenItsCommonName() {
        X509Certificate certificate = server(List.of(), List.of());

        assertThatThrownBy(() -> ServerNames.check(certificate, "otb-provisioning"))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("it names no DNS name or address");
        assertThatThrownBy(() -> ServerNames.check(certificate, "")).isInstanceOf(CertificateException.class);
    }
}
