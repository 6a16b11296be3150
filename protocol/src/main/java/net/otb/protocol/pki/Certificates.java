package net.otb.protocol.pki;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Reading what matters from X.509 certificates: CN, serial, EKU. */
public final class Certificates {

    public static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    public static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private Certificates() {
    }

    /**
     * The subject's common name (the first in the name's encoded order, escaped as RFC 4514 writes it), or
     * {@code null} when it has none. Read with the JDK's own name parser: a box reads it at every start.
     */
    public static String commonName(X500Principal subject) {
        try {
            // LdapName lists the RDNs right to left of the RFC 2253 text: the encoded order
            for (Rdn rdn : new LdapName(subject.getName(X500Principal.RFC2253)).getRdns()) {
                Attribute cn = rdn.toAttributes().get("CN");
                if (cn != null) {
                    Object value = cn.get();
                    return value instanceof String text ? Rdn.escapeValue(text) : null;
                }
            }
            return null;
        } catch (NamingException e) {
            // the JDK wrote this text itself; a name it cannot read back has no usable CN
            return null;
        }
    }

    public static String commonName(X509Certificate certificate) {
        return commonName(certificate.getSubjectX500Principal());
    }

    /** The serial in lower-case hex, as the revocation list keeps it. */
    public static String serialHex(X509Certificate certificate) {
        return serialHex(certificate.getSerialNumber());
    }

    public static String serialHex(BigInteger serial) {
        return serial.toString(16);
    }

    public static boolean hasExtendedKeyUsage(X509Certificate certificate, String oid) {
        try {
            List<String> usages = certificate.getExtendedKeyUsage();
            return usages != null && usages.contains(oid);
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    static void checkKeyMatches(PrivateKey key, X509Certificate certificate, Path keyFile, Path chainFile)
            throws PkiException {
        try {
            byte[] probe = "otb-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new PkiException(keyFile + " is not the key of the certificate in " + chainFile);
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException(keyFile + " cannot sign for the certificate in " + chainFile + ": "
                    + e.getMessage(), e);
        }
    }
}
