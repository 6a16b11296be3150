package net.otb.protocol.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A certificate authority: its key and self-signed certificate, and the issuing of server and device
 * certificates. Serials are 128 random bits from the injected source. Thread-safe.
 */
public final class CertificateAuthority {

    /** What a certificate may be used for. */
    public enum Usage {
        /** A TLS server: serverAuth EKU, SANs. */
        SERVER,
        /** A box: clientAuth EKU, CN = serial. */
        DEVICE,
        /** Test-only shapes go through {@link #issue(Spec)} with their own EKU list. */
        CUSTOM
    }

    /**
     * Everything a certificate is made of.
     *
     * @param extendedKeyUsages EKU OIDs; empty means none
     * @param dnsNames SAN host names
     * @param ipAddresses SAN IP literals
     */
    public record Spec(String commonName, PublicKey publicKey, Instant notBefore, Instant notAfter,
                       List<String> extendedKeyUsages, List<String> dnsNames, List<String> ipAddresses) {

        public Spec {
            if (commonName == null || commonName.isBlank()) {
                throw new IllegalArgumentException("commonName is required");
            }
            if (publicKey == null) {
                throw new IllegalArgumentException("publicKey is required");
            }
            if (!notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("notAfter must be after notBefore");
            }
            extendedKeyUsages = List.copyOf(extendedKeyUsages);
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
        }
    }

    private final KeyPair keyPair;
    private final X509Certificate certificate;
    private final SecureRandom random;

    public CertificateAuthority(KeyPair keyPair, X509Certificate certificate, SecureRandom random) {
        this.keyPair = keyPair;
        this.certificate = certificate;
        this.random = random;
    }

    /** Makes a new CA with a fresh P-256 key and a self-signed certificate valid from {@code now}. */
    public static CertificateAuthority create(String commonName, Instant now, Duration validity, SecureRandom random) {
        KeyPair keyPair = KeyPairs.p256(random);
        X500Name name = name(commonName);
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(random),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), name,
                    keyPair.getPublic());
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(keyPair.getPublic()));
            X509Certificate certificate = sign(builder, keyPair.getPrivate());
            return new CertificateAuthority(keyPair, certificate, random);
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a CA certificate", e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return keyPair.getPrivate();
    }

    /** A server certificate: serverAuth, with the SANs a client will check the host against. */
    public X509Certificate issueServer(PublicKey key, String commonName, List<String> dnsNames,
                                       List<String> ipAddresses, Instant now, Duration validity) {
        return issue(new Spec(commonName, key, now.minus(Duration.ofMinutes(5)), now.plus(validity),
                List.of(Certificates.EKU_SERVER_AUTH), dnsNames, ipAddresses));
    }

    /** A device certificate: clientAuth, CN = the box serial. */
    public X509Certificate issueDevice(PublicKey key, String serial, Instant now, Duration validity) {
        return issue(new Spec(serial, key, now.minus(Duration.ofMinutes(5)), now.plus(validity),
                List.of(Certificates.EKU_CLIENT_AUTH), List.of(), List.of()));
    }

    /**
     * Signs a box's CSR as a device certificate. The CN must be the one the box is known by: a box
     * cannot rename itself through a renewal.
     *
     * The request comes from a box over the wire: whatever it holds, a refusal is a {@link PkiException} whose
     * message is one line of at most {@value #MAX_REFUSAL_LENGTH} characters (the server sends it back in an
     * {@code error}).
     *
     * @throws PkiException when the request's signature is bad or its CN is not {@code expectedSerial}
     */
    public X509Certificate signDeviceCsr(PKCS10CertificationRequest csr, String expectedSerial, Instant now,
                                         Duration validity) throws PkiException {
        PublicKey key;
        String cn;
        try {
            JcaPKCS10CertificationRequest request = new JcaPKCS10CertificationRequest(csr);
            key = request.getPublicKey();
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new PkiException("the certificate request's signature does not verify");
            }
            cn = Certificates.commonName(new javax.security.auth.x500.X500Principal(csrSubjectEncoded(csr)));
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
            throw new PkiException(refusal("unreadable certificate request: " + e.getMessage()), e);
        } catch (RuntimeException e) {
            // BouncyCastle reports some malformed DER as unchecked exceptions (e.g. IllegalStateException for a
            // signature BIT STRING with pad bits); the JDK's X500Principal an unreadable subject the same way
            throw new PkiException(refusal("unreadable certificate request: " + e), e);
        }
        if (!"EC".equals(key.getAlgorithm())) {
            throw new PkiException(refusal("the certificate request's key must be ECDSA P-256, not "
                    + key.getAlgorithm()));
        }
        if (!expectedSerial.equals(cn)) {
            throw new PkiException(refusal("the certificate request is for " + cn + ", not " + expectedSerial));
        }
        return issueDevice(key, expectedSerial, now, validity);
    }

    /** The longest refusal {@link #signDeviceCsr} gives, so that it fits in an {@code error} detail. */
    public static final int MAX_REFUSAL_LENGTH = 300;

    /** One line, bounded: a refusal may quote the box's own bytes (its CN). */
    private static String refusal(String text) {
        StringBuilder line = new StringBuilder(Math.min(text.length(), MAX_REFUSAL_LENGTH));
        for (int i = 0; i < text.length() && line.length() < MAX_REFUSAL_LENGTH - 1; i++) {
            char c = text.charAt(i);
            line.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        if (line.length() < text.length()) {
            line.append('…');
        }
        return line.toString();
    }

    /** Issues a certificate of any shape; the named methods above cover the real uses. */
    public X509Certificate issue(Spec spec) {
        try {
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(random),
                    Date.from(spec.notBefore()), Date.from(spec.notAfter()), name(spec.commonName()),
                    spec.publicKey());
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            if (!spec.extendedKeyUsages().isEmpty()) {
                KeyPurposeId[] purposes = spec.extendedKeyUsages().stream()
                        .map(oid -> KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(oid)))
                        .toArray(KeyPurposeId[]::new);
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            }
            List<GeneralName> names = new ArrayList<>();
            for (String dns : spec.dnsNames()) {
                names.add(new GeneralName(GeneralName.dNSName, dns));
            }
            for (String ip : spec.ipAddresses()) {
                if (!net.otb.protocol.IpAddresses.isAddress(ip)) {
                    throw new IllegalArgumentException("not an IP address: " + ip);
                }
                names.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            if (!names.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(spec.publicKey()));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    utils.createAuthorityKeyIdentifier(certificate));
            return sign(builder, keyPair.getPrivate());
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for " + spec.commonName(), e);
        }
    }

    private static byte[] csrSubjectEncoded(PKCS10CertificationRequest csr) throws PkiException {
        try {
            return csr.getSubject().getEncoded();
        } catch (java.io.IOException e) {
            throw new PkiException("unreadable subject in the certificate request", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws CertificateException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new CertificateException("cannot sign", e);
        }
    }

    static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "OverTheBox")
                .addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(127, random).add(BigInteger.ONE);
    }

}
