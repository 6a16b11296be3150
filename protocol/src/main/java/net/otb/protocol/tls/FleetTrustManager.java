package net.otb.protocol.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.RevocationList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trusts the fleet's CA and nothing else, with two checks the JDK's PKIX validation lacks or words
 * vaguely: the revocation list, read on every handshake, and the extended key usage the role needs
 * (clientAuth for boxes, serverAuth for the server). Each refusal is logged once with the subject.
 */
public final class FleetTrustManager extends X509ExtendedTrustManager {

    private static final Logger LOG = LoggerFactory.getLogger(FleetTrustManager.class);

    private final X509ExtendedTrustManager pkix;
    private final RevocationList revocations;

    private FleetTrustManager(X509ExtendedTrustManager pkix, RevocationList revocations) {
        this.pkix = pkix;
        this.revocations = revocations;
    }

    /** A trust manager anchored on {@code anchors} only, refusing what {@code revocations} lists. */
    public static FleetTrustManager of(List<X509Certificate> anchors, RevocationList revocations) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("anchor-" + i, anchors.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager extended) {
                    return new FleetTrustManager(extended, revocations);
                }
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust manager", e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checked(chain, () -> pkix.checkClientTrusted(chain, authType, engine), Certificates.EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType, engine), Certificates.EKU_SERVER_AUTH, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, () -> pkix.checkClientTrusted(chain, authType, socket), Certificates.EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType, socket), Certificates.EKU_SERVER_AUTH, "server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checked(chain, () -> pkix.checkClientTrusted(chain, authType), Certificates.EKU_CLIENT_AUTH, "client");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType), Certificates.EKU_SERVER_AUTH, "server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }

    /** The trust manager for plain {@link X509TrustManager} users. */
    public X509TrustManager asX509() {
        return this;
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void checked(X509Certificate[] chain, Check pkixCheck, String eku, String role)
            throws CertificateException {
        String subject = chain == null || chain.length == 0 ? "(no certificate)"
                : chain[0].getSubjectX500Principal().getName();
        try {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the " + role + " sent no certificate");
            }
            pkixCheck.run();
            X509Certificate leaf = chain[0];
            if (!Certificates.hasExtendedKeyUsage(leaf, eku)) {
                throw new CertificateException("the " + role + " certificate lacks the "
                        + (role.equals("client") ? "clientAuth" : "serverAuth") + " extended key usage");
            }
            if (revocations.isRevoked(leaf)) {
                throw new CertificateException("the " + role + " certificate (serial "
                        + Certificates.serialHex(leaf) + ") is revoked");
            }
        } catch (CertificateException e) {
            LOG.info("refused {} certificate {}: {}", role, subject, e.getMessage());
            throw e;
        }
    }
}
