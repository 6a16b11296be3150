package net.otb.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiTest {

    static final Instant NOW = Instant.parse("2026-11-27T10:00:00Z");
    final SecureRandom random = new SecureRandom();
    final CertificateAuthority ca = CertificateAuthority.create("Test CA", NOW, Duration.ofDays(30), random);

    @TempDir
    Path dir;

    @Test
    void theAuthorityIsASelfSignedP256CaThatMaySignCertificatesOnly() throws Exception {
        X509Certificate cert = ca.certificate();

        cert.verify(cert.getPublicKey());
        assertThat(cert.getBasicConstraints()).isEqualTo(0);
        assertThat(cert.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(cert.getKeyUsage()[0]).as("digitalSignature").isFalse();
        assertThat(((ECPublicKey) cert.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(Certificates.commonName(cert)).isEqualTo("Test CA");
    }

    @Test
    void aServerCertificateCarriesItsHostsAsSansAndOnlyServerAuth() throws Exception {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate cert = ca.issueServer(key.getPublic(), "otb.example", List.of("otb.example", "localhost"),
                List.of("127.0.0.1", "::1"), NOW, Duration.ofDays(10));

        cert.verify(ca.certificate().getPublicKey());
        assertThat(Certificates.commonName(cert)).isEqualTo("otb.example");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(Certificates.EKU_SERVER_AUTH);
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(sans(cert)).containsExactlyInAnyOrder("2:otb.example", "2:localhost", "7:127.0.0.1",
                "7:0:0:0:0:0:0:0:1");
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(10)));
        assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    }

    @Test
    void aDeviceCertificateNamesTheBoxInItsCnWithClientAuthOnlyAndNoSan() throws Exception {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate cert = ca.issueDevice(key.getPublic(), "OTB3-000123", NOW, Duration.ofDays(365));

        cert.verify(ca.certificate().getPublicKey());
        assertThat(Certificates.commonName(cert)).isEqualTo("OTB3-000123");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(Certificates.EKU_CLIENT_AUTH);
        assertThat(cert.getSubjectAlternativeNames()).isNull();
        assertThat(cert.getPublicKey()).isEqualTo(key.getPublic());
        // a grace before "now" so that a box whose clock lags a little accepts it
        assertThat(cert.getNotBefore().toInstant()).isBefore(NOW);
    }

    @Test
    void serialsAreRandomAndPositive() {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate a = ca.issueDevice(key.getPublic(), "OTB3-1", NOW, Duration.ofDays(1));
        X509Certificate b = ca.issueDevice(key.getPublic(), "OTB3-1", NOW, Duration.ofDays(1));

        assertThat(a.getSerialNumber()).isPositive().isNotEqualTo(b.getSerialNumber());
        assertThat(Certificates.serialHex(a)).isEqualTo(a.getSerialNumber().toString(16));
    }

    @Test
    void aCsrForTheExpectedSerialIsSignedForItsOwnKey() throws Exception {
        KeyPair boxKey = KeyPairs.p256(random);
        PKCS10CertificationRequest csr = Csrs.create(boxKey, "OTB3-000123");
        PKCS10CertificationRequest parsed = Pem.readCsr(Pem.write(csr));

        X509Certificate cert = ca.signDeviceCsr(parsed, "OTB3-000123", NOW, Duration.ofDays(365));

        cert.verify(ca.certificate().getPublicKey());
        assertThat(cert.getPublicKey()).isEqualTo(boxKey.getPublic());
        assertThat(Certificates.commonName(cert)).isEqualTo("OTB3-000123");
        assertThat(cert.getExtendedKeyUsage()).containsExactly(Certificates.EKU_CLIENT_AUTH);
    }

    @Test
    void aCsrForAnotherSerialIsRefused() {
        PKCS10CertificationRequest csr = Csrs.create(KeyPairs.p256(random), "OTB3-999999");

        assertThatThrownBy(() -> ca.signDeviceCsr(csr, "OTB3-000123", NOW, Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessage("the certificate request is for OTB3-999999, not OTB3-000123");
    }

    @Test
    void aCsrWhoseSignatureDoesNotMatchItsKeyIsRefused() throws Exception {
        KeyPair claimed = KeyPairs.p256(random);
        KeyPair signer = KeyPairs.p256(random);
        PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(
                CertificateAuthority.name("OTB3-000123"), claimed.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));

        assertThatThrownBy(() -> ca.signDeviceCsr(forged, "OTB3-000123", NOW, Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("signature does not verify");
    }

    @Test
    void aCsrWhoseSignatureBitStringHasPadBitsIsRefusedNotThrown() throws Exception {
        // found by PemFuzzTest: BouncyCastle's signature check throws IllegalStateException on such a BIT STRING
        PKCS10CertificationRequest valid = Csrs.create(KeyPairs.p256(random), "OTB3-000123");
        org.bouncycastle.asn1.pkcs.CertificationRequest parts = valid.toASN1Structure();
        PKCS10CertificationRequest padded = new PKCS10CertificationRequest(
                new org.bouncycastle.asn1.pkcs.CertificationRequest(parts.getCertificationRequestInfo(),
                        parts.getSignatureAlgorithm(),
                        new org.bouncycastle.asn1.DERBitString(parts.getSignature().getBytes(), 4)));

        assertThatThrownBy(() -> ca.signDeviceCsr(padded, "OTB3-000123", NOW, Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessageStartingWith("unreadable certificate request: ")
                .hasMessageContaining("non-octet aligned");
    }

    @Test
    void aRefusalQuotingALongCnStaysOneBoundedLine() throws Exception {
        // a box's own DER may break RFC 5280's 64-character bound, which BouncyCastle's name builder enforces
        KeyPair key = KeyPairs.p256(random);
        org.bouncycastle.asn1.x500.X500Name longName = new org.bouncycastle.asn1.x500.X500Name(
                new org.bouncycastle.asn1.x500.RDN[] {new org.bouncycastle.asn1.x500.RDN(
                        org.bouncycastle.asn1.x500.style.BCStyle.CN,
                        new org.bouncycastle.asn1.DERUTF8String("OTB3-" + "9".repeat(2_000)))});
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(longName, key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()));

        assertThatThrownBy(() -> ca.signDeviceCsr(csr, "OTB3-000123", NOW, Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessageStartingWith("the certificate request is for OTB3-999")
                .hasMessageEndingWith("…")
                .satisfies(e -> assertThat(e.getMessage()).hasSize(CertificateAuthority.MAX_REFUSAL_LENGTH));
    }

    @Test
    void aCsrForAnRsaKeyIsRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair key = rsa.generateKeyPair();
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
                CertificateAuthority.name("OTB3-000123"), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate()));

        assertThatThrownBy(() -> ca.signDeviceCsr(csr, "OTB3-000123", NOW, Duration.ofDays(365)))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("must be ECDSA P-256");
    }

    @Test
    void certificatesKeysAndChainsRoundTripThroughPem() throws Exception {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate leaf = ca.issueDevice(key.getPublic(), "OTB3-1", NOW, Duration.ofDays(1));

        String chainPem = Pem.writeChain(List.of(leaf, ca.certificate()));
        String keyPem = Pem.write(key.getPrivate());

        assertThat(Pem.readCertificates(chainPem)).containsExactly(leaf, ca.certificate());
        assertThat(keyPem).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Pem.readPrivateKey(keyPem)).isEqualTo(key.getPrivate());
    }

    @Test
    void pemOfTheWrongKindIsRefusedWithWhatWasFound() {
        String certPem = Pem.write(ca.certificate());

        assertThatThrownBy(() -> Pem.readPrivateKey(certPem)).isInstanceOf(PkiException.class)
                .hasMessageContaining("expected a private key, found X509CertificateHolder");
        assertThatThrownBy(() -> Pem.readCertificates("hello")).isInstanceOf(PkiException.class)
                .hasMessage("no certificate found in PEM text");
        assertThatThrownBy(() -> Pem.readCsr(certPem)).isInstanceOf(PkiException.class);
    }

    @Test
    void credentialsLoadFromPemFilesAndCheckTheKeyMatchesTheCertificate() throws Exception {
        KeyPair key = KeyPairs.p256(random);
        X509Certificate leaf = ca.issueDevice(key.getPublic(), "OTB3-1", NOW, Duration.ofDays(1));
        Path keyFile = write("box.key", Pem.write(key.getPrivate()));
        Path chainFile = write("box.crt", Pem.writeChain(List.of(leaf, ca.certificate())));

        Credentials loaded = Credentials.load(keyFile, chainFile);

        assertThat(loaded.leaf()).isEqualTo(leaf);
        assertThat(loaded.chain()).hasSize(2);

        Path otherKey = write("other.key", Pem.write(KeyPairs.p256(random).getPrivate()));
        assertThatThrownBy(() -> Credentials.load(otherKey, chainFile)).isInstanceOf(PkiException.class)
                .hasMessage(otherKey + " is not the key of the certificate in " + chainFile);
    }

    @Test
    void aMissingOrUnreadableFileIsNamedInTheError() throws Exception {
        Path missing = dir.resolve("nope.key");
        Path garbage = write("garbage.key", "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
        Path folder = Files.createDirectory(dir.resolve("a-folder.crt"));

        assertThatThrownBy(() -> Pem.readPrivateKey(missing)).isInstanceOf(PkiException.class)
                .hasMessage(missing + ": no such file");
        assertThatThrownBy(() -> Pem.readPrivateKey(garbage)).isInstanceOf(PkiException.class)
                .hasMessageStartingWith(garbage + ": unreadable PEM private key");
        assertThatThrownBy(() -> Pem.readCertificates(folder)).isInstanceOf(PkiException.class)
                .hasMessageStartingWith(folder + ": cannot read");
    }

    @Test
    void revocationsArePersistedAtomicallyAndReloaded() throws Exception {
        Path file = dir.resolve("revoked.json");
        RevocationList list = RevocationList.load(file);
        X509Certificate cert = ca.issueDevice(KeyPairs.p256(random).getPublic(), "OTB3-7", NOW, Duration.ofDays(1));
        assertThat(Files.exists(file)).as("a missing file is an empty list").isFalse();

        assertThat(list.revoke(cert, NOW, "stolen")).isTrue();
        assertThat(list.revoke(cert, NOW.plusSeconds(5), "again")).isFalse();

        RevocationList reloaded = RevocationList.load(file);
        assertThat(reloaded.isRevoked(cert)).isTrue();
        assertThat(reloaded.isRevoked(Certificates.serialHex(cert).toUpperCase())).isTrue();
        assertThat(reloaded.entries().get(Certificates.serialHex(cert)))
                .isEqualTo(new RevocationList.Entry(Certificates.serialHex(cert), "OTB3-7", NOW, "stolen"));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("revoked.json");
        }
    }

    @Test
    void aCorruptRevocationListIsRefusedNamingTheFile() throws Exception {
        Path notJson = write("revoked.json", "{\"revoked\": [ {\"serial\": \"ab\"");
        Path wrongShape = write("revoked2.json", "{\"serials\": []}");
        Path noDate = write("revoked3.json", "{\"revoked\": [ {\"serial\": \"ab\"} ]}");

        assertThatThrownBy(() -> RevocationList.load(notJson)).isInstanceOf(PkiException.class)
                .hasMessageStartingWith(notJson + ": unreadable revocation list");
        assertThatThrownBy(() -> RevocationList.load(wrongShape)).isInstanceOf(PkiException.class)
                .hasMessage(wrongShape + ": not a revocation list (no \"revoked\" array)");
        assertThatThrownBy(() -> RevocationList.load(noDate)).isInstanceOf(PkiException.class)
                .hasMessage(noDate + ": a revoked entry has no \"revokedAt\"");
    }

    @Test
    void aDevPkiFolderIsMadeOnceReopenedAndNeverOverwrittenSilently() throws Exception {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        Path folder = dir.resolve("pki");
        DevPki pki = DevPki.init(folder, clock, random);
        pki.issueServer(List.of("localhost", "127.0.0.1", "::1"), false, random);
        Credentials box = pki.issueDevice("OTB3-000001", random);

        DevPki reopened = DevPki.open(folder, clock, random);
        assertThat(reopened.caCertificate()).isEqualTo(pki.caCertificate());
        assertThat(reopened.deviceCredentials("OTB3-000001").leaf()).isEqualTo(box.leaf());
        assertThat(reopened.serverCredentials().chain()).hasSize(2);
        assertThat(Files.getPosixFilePermissions(reopened.deviceKeyFile("OTB3-000001")))
                .extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");

        assertThatThrownBy(() -> DevPki.init(folder, clock, random)).isInstanceOf(PkiException.class)
                .hasMessageContaining("already holds a CA");
        assertThatThrownBy(() -> reopened.issueDevice("OTB3-000001", random)).isInstanceOf(PkiException.class)
                .hasMessage(reopened.deviceCertificateFile("OTB3-000001") + " already exists; refusing to overwrite it");
        assertThatThrownBy(() -> reopened.issueServer(List.of("localhost"), false, random))
                .isInstanceOf(PkiException.class).hasMessageContaining("server.crt already exists");
        assertThatThrownBy(() -> reopened.issueDevice("../escape", random)).isInstanceOf(PkiException.class)
                .hasMessageContaining("a box serial is");

        assertThat(reopened.revokeDevice("OTB3-000001", "lost")).isTrue();
        assertThat(DevPki.open(folder, clock, random).list())
                .extracting(DevPki.Listed::kind, DevPki.Listed::commonName, DevPki.Listed::revoked)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ca", "OverTheBox dev CA", false),
                        org.assertj.core.groups.Tuple.tuple("server", "localhost", false),
                        org.assertj.core.groups.Tuple.tuple("device", "OTB3-000001", true));
    }

    @Test
    void openingAFolderWithoutItsCaKeyNamesTheMissingFile() throws Exception {
        Path folder = dir.resolve("pki");
        DevPki.init(folder, Clock.systemUTC(), random);
        Files.delete(folder.resolve("ca.key"));

        assertThatThrownBy(() -> DevPki.open(folder, Clock.systemUTC(), random)).isInstanceOf(PkiException.class)
                .hasMessage(folder.resolve("ca.key") + ": no such file");
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.US_ASCII);
    }

    private static List<String> sans(X509Certificate cert) throws Exception {
        Collection<List<?>> names = cert.getSubjectAlternativeNames();
        return names.stream().map(n -> n.get(0) + ":" + n.get(1)).collect(Collectors.toList());
    }
}
