package net.otb.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.codec.MessageMapper;
import net.otb.protocol.testing.TestPki;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Jazzer on the PEM readers and the CSR check. A renewal's CSR comes from a box over the wire; certificates and
 * keys come from files an operator wrote and from the server's renewal answer. Whatever the text, a reader
 * returns what it was asked for or throws one {@link PkiException}; a CSR is signed only for the expected CN with
 * a valid signature, and a refusal fits in the {@code error} the server answers with. Replays
 * {@code PemFuzzTestInputs/} in every build; {@code JAZZER_FUZZ=1} fuzzes (docs/reliability.md).
 */
class PemFuzzTest {

    static final String SERIAL = "OTB3-000001";
    static final TestPki PKI = new TestPki();

    @FuzzTest(maxDuration = "5m")
    void aRenewalCsrIsSignedForItsBoxOrRefusedWithAnErrorTheServerCanSend(byte[] input) {
        // PEM text as it comes, or DER that is wrapped in PEM here: the fuzzer then mutates the ASN.1 itself,
        // which it could hardly reach through base64
        String text = new String(input, StandardCharsets.UTF_8);
        String pem = text.startsWith("-----") ? text : "-----BEGIN CERTIFICATE REQUEST-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(input)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        try {
            PKCS10CertificationRequest csr = Pem.readCsr(pem);
            X509Certificate issued = PKI.authority().signDeviceCsr(csr, SERIAL, Instant.now(), Duration.ofDays(1));
            assertThat(Certificates.commonName(issued)).isEqualTo(SERIAL);
        } catch (PkiException e) {
            // what AgentService.renew answers
            ErrorMessage refusal = ErrorMessage.of(ErrorCode.INVALID_MESSAGE, "renewal refused: " + e.getMessage());
            byte[] wire = MessageMapper.instance().write(refusal);
            assertThat(MessageMapper.instance().read(wire, 0, wire.length)).isEqualTo(refusal);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void certificatesAndKeysAreReadOrRefusedWithOnePkiException(byte[] input) {
        String pem = new String(input, StandardCharsets.UTF_8);
        try {
            List<X509Certificate> chain = Pem.readCertificates(pem);
            assertThat(chain).isNotEmpty().doesNotContainNull();
        } catch (PkiException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        try {
            PrivateKey key = Pem.readPrivateKey(pem);
            assertThat(key).isNotNull();
        } catch (PkiException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
