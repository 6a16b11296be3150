package net.otb.agent.tls;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;

/** Checks a chain the server sent in answer to {@code renew} before the agent trusts its life to it. */
public final class RenewedCertificates {

    private RenewedCertificates() {
    }

    /**
     * The new credentials: {@code chainPem}'s leaf must carry {@code keyPair}'s public key, the box's CN and the
     * clientAuth usage, be valid now and chain to one of {@code anchors}.
     *
     * @throws PkiException saying what is wrong
     */
    public static Credentials verify(String chainPem, KeyPair keyPair, String deviceId,
                                     List<X509Certificate> anchors, Clock clock) throws PkiException {
        List<X509Certificate> chain = Pem.readCertificates(chainPem);
        X509Certificate leaf = chain.get(0);
        if (!Arrays.equals(leaf.getPublicKey().getEncoded(), keyPair.getPublic().getEncoded())) {
            throw new PkiException("the certificate is not for the key the agent asked for");
        }
        if (!deviceId.equals(Certificates.commonName(leaf))) {
            throw new PkiException("the certificate is for " + Certificates.commonName(leaf) + ", not " + deviceId);
        }
        if (!Certificates.hasExtendedKeyUsage(leaf, Certificates.EKU_CLIENT_AUTH)) {
            throw new PkiException("the certificate lacks the clientAuth usage");
        }
        try {
            Set<TrustAnchor> trust = new HashSet<>();
            for (X509Certificate anchor : anchors) {
                trust.add(new TrustAnchor(anchor, null));
            }
            List<X509Certificate> path = new ArrayList<>();
            for (X509Certificate certificate : chain) {
                // the anchor is not part of the path PKIX validates
                if (!anchors.contains(certificate)) {
                    path.add(certificate);
                }
            }
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters parameters = new PKIXParameters(trust);
            parameters.setRevocationEnabled(false);
            parameters.setDate(new Date(clock.millis()));
            CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
        } catch (GeneralSecurityException e) {
            throw new PkiException("the certificate does not chain to the fleet CA: " + e.getMessage(), e);
        }
        return new Credentials(keyPair.getPrivate(), chain);
    }

    /** Whether {@code key} signs what {@code certificate}'s public key verifies. */
    static boolean keyMatches(PrivateKey key, X509Certificate certificate) {
        try {
            byte[] probe = "otb-renewal".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(key);
            signer.update(probe);
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
