package net.otb.server.gateway;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * What the gateway checks of a box's certificate once its TLS session is established, full or resumed: a
 * resumed session (a TLS 1.3 session ticket) skips the handshake's trust manager, and the box may have been
 * revoked, or its certificate may have expired, since the ticket was issued.
 */
@FunctionalInterface
public interface PeerCheck {

    /** Checks nothing: only for a gateway whose TLS context never resumes a session (tests of other things). */
    PeerCheck NONE = leaf -> {
    };

    /**
     * @throws CertificateException saying why the certificate may not open a session now
     */
    void check(X509Certificate leaf) throws CertificateException;
}
