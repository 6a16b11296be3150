package net.otb.protocol.pki;

import java.security.KeyPair;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** PKCS#10 certificate requests, as a box makes them for a renewal. */
public final class Csrs {

    private Csrs() {
    }

    public static PKCS10CertificationRequest create(KeyPair keyPair, String commonName) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(CertificateAuthority.name(commonName), keyPair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a certificate request", e);
        }
    }
}
