package net.otb.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PEM and names read with the JDK alone on the box's start path (certificates, PKCS#8 keys, the CN), and
 * every other form still read, or refused in words, through BouncyCastle as before.
 */
class PemAndNamesTest {

    static final SecureRandom RANDOM = new SecureRandom();
    static final Instant NOW = Instant.now();
    static final CertificateAuthority CA = CertificateAuthority.create("Names CA", NOW, Duration.ofDays(1), RANDOM);

    @Test
    void aChainWithTextAroundItsBlocksReadsInOrder() throws Exception {
        KeyPair key = KeyPairs.p256(RANDOM);
        X509Certificate leaf = CA.issueDevice(key.getPublic(), "OTB3-PEM001", NOW, Duration.ofDays(1));
        String pem = "subject=CN = OTB3-PEM001\r\n" + Pem.write(leaf).replace("\n", "\r\n")
                + "\nissuer=CN = Names CA\n" + Pem.write(CA.certificate());

        assertThat(Pem.readCertificates(pem)).containsExactly(leaf, CA.certificate());
    }

    @Test
    void pkcs8KeysOfEcAndRsaRead() throws Exception {
        KeyPair ec = KeyPairs.p256(RANDOM);
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048, RANDOM);
        KeyPair rsa = rsaGenerator.generateKeyPair();

        assertThat(Pem.readPrivateKey(Pem.write(ec.getPrivate()))).isEqualTo(ec.getPrivate());
        assertThat(Pem.readPrivateKey(Pem.write(rsa.getPrivate()))).isEqualTo(rsa.getPrivate());
    }

    @Test
    void aSec1EcKeyStillReadsThroughBouncyCastle() throws Exception {
        KeyPair ec = KeyPairs.p256(RANDOM);
        // the SEC1 form `openssl ecparam -genkey` writes: curve named, public point included
        ECPrivateKey sec1 = new ECPrivateKey(256, ((java.security.interfaces.ECPrivateKey) ec.getPrivate()).getS(),
                SubjectPublicKeyInfo.getInstance(ec.getPublic().getEncoded()).getPublicKeyData(),
                SECObjectIdentifiers.secp256r1);
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        }

        java.security.interfaces.ECPrivateKey read = (java.security.interfaces.ECPrivateKey) Pem.readPrivateKey(
                out.toString());
        assertThat(read.getS()).isEqualTo(((java.security.interfaces.ECPrivateKey) ec.getPrivate()).getS());
    }

    @Test
    void anEncryptedKeyIsRefusedInWords() throws Exception {
        KeyPair ec = KeyPairs.p256(RANDOM);
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(ec.getPrivate(),
                    new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC)
                            .setPassword("secret".toCharArray()).build()));
        }

        assertThatThrownBy(() -> Pem.readPrivateKey(out.toString())).isInstanceOf(PkiException.class)
                .hasMessageContaining("expected a private key");
    }

    @Test
    void damagedBase64IsRefusedInWords() {
        String pem = Pem.write(CA.certificate());
        String damaged = pem.replaceFirst("\n([A-Za-z0-9+/]{10})", "\n!!$1");

        assertThatThrownBy(() -> Pem.readCertificates(damaged)).isInstanceOf(PkiException.class)
                .hasMessageContaining("unreadable");
    }

    @Test
    void aKeyIsNotACertificateNorTheReverse() {
        KeyPair ec = KeyPairs.p256(RANDOM);
        assertThatThrownBy(() -> Pem.readCertificates(Pem.write(ec.getPrivate()))).isInstanceOf(PkiException.class)
                .hasMessageContaining("expected certificates");
        assertThatThrownBy(() -> Pem.readPrivateKey(Pem.write(CA.certificate()))).isInstanceOf(PkiException.class)
                .hasMessageContaining("expected a private key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CN=OTB3-000123", "CN=a\\,b\\+c,O=x", "CN=first,CN=second", "OU=x+CN=multi,O=y",
        "CN=\\#lead\\ ,O=z", "CN=caf\u00e9 \u00e0 Paris", "O=no common name", "CN=quote\\\"d\\<\\>\\;"})
    void theCommonNameIsTheOneBouncyCastleReads(String name) {
        X500Principal subject = new X500Principal(name);

        assertThat(Certificates.commonName(subject)).isEqualTo(bouncyCastleCommonName(subject));
    }

    /** What this project read before, with BouncyCastle: the oracle. */
    private static String bouncyCastleCommonName(X500Principal subject) {
        RDN[] rdns = X500Name.getInstance(subject.getEncoded()).getRDNs(BCStyle.CN);
        if (rdns.length == 0) {
            return null;
        }
        for (var value : rdns[0].getTypesAndValues()) {
            if (value.getType().equals(BCStyle.CN)) {
                return IETFUtils.valueToString(value.getValue());
            }
        }
        return null;
    }

    @Test
    void aDeviceCertificateNamesItsSerial() throws Exception {
        KeyPair key = KeyPairs.p256(RANDOM);
        X509Certificate leaf = CA.issueDevice(key.getPublic(), "OTB2C-00042", NOW, Duration.ofDays(1));

        assertThat(Certificates.commonName(leaf)).isEqualTo("OTB2C-00042");
        assertThat(Pem.readCertificates(Pem.write(leaf))).containsExactly(leaf);
    }
}
