package net.otb.protocol.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import net.otb.protocol.pki.Certificates;

/**
 * Who is at the other end of a mutual TLS session, read once from the {@link SSLSession} after the
 * handshake: the subject CN (a box's serial) and the certificate serial (for revocation).
 */
public record PeerIdentity(String commonName, String serialHex, X509Certificate certificate) {

    /** The identity of a verified peer, or empty when the session holds no usable certificate. */
    public static Optional<PeerIdentity> of(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return Optional.empty();
            }
            String cn = Certificates.commonName(leaf);
            if (cn == null || cn.isBlank()) {
                return Optional.empty();
            }
            return Optional.of(new PeerIdentity(cn, Certificates.serialHex(leaf), leaf));
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }
}
