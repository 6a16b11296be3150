package net.otb.protocol.tls;

import java.security.cert.CertificateException;

/**
 * A certificate refusal that says why in the TLS alert the peer receives: BoringSSL turns the verify error code of
 * an {@code OpenSslCertificateException} into the alert (an unknown CA is {@code unknown_ca}, a revoked certificate
 * {@code certificate_revoked}, a wrong key usage {@code unsupported_certificate}, the rest {@code bad_certificate});
 * any other exception becomes {@code internal_error}, which tells an operator nothing. With the JDK's engine (or
 * where netty-tcnative is absent, as on a box) it is a plain {@link CertificateException} with the same words.
 */
final class Refusal {

    /** OpenSSL's (and BoringSSL's) verify error codes, {@code X509_V_ERR_*}. */
    static final int SELF_SIGNED = 18;
    static final int UNKNOWN_ISSUER = 20;
    static final int REVOKED = 23;
    static final int INVALID_PURPOSE = 26;
    static final int REJECTED = 28;

    private Refusal() {
    }

    static CertificateException of(int verifyError, String message) {
        try {
            return new io.netty.handler.ssl.OpenSslCertificateException(message, verifyError);
        } catch (LinkageError | IllegalArgumentException e) {
            // no netty-tcnative here (or it does not know the code): the words alone
            return new CertificateException(message);
        }
    }
}
