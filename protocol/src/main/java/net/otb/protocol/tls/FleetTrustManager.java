package net.otb.protocol.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
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
    private final List<X509Certificate> anchors;
    private final Clock clock;
    private final AtomicLong checkedChains = new AtomicLong();

    private FleetTrustManager(X509ExtendedTrustManager pkix, RevocationList revocations,
                              List<X509Certificate> anchors, Clock clock) {
        this.pkix = pkix;
        this.revocations = revocations;
        this.anchors = List.copyOf(anchors);
        this.clock = clock;
    }

    /** A trust manager anchored on {@code anchors} only, refusing what {@code revocations} lists. */
    public static FleetTrustManager of(List<X509Certificate> anchors, RevocationList revocations) {
        return of(anchors, revocations, Clock.systemUTC());
    }

    /**
     * As {@link #of(List, RevocationList)}, with the clock that dates the validity checks worded here (the
     * JDK's PKIX check behind them uses the system time).
     */
    public static FleetTrustManager of(List<X509Certificate> anchors, RevocationList revocations, Clock clock) {
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
                    return new FleetTrustManager(extended, revocations, anchors, clock);
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
        checked(chain, () -> pkix.checkClientTrusted(chain, authType, engine), Certificates.EKU_CLIENT_AUTH, "client",
                engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType, engine), Certificates.EKU_SERVER_AUTH, "server",
                engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, () -> pkix.checkClientTrusted(chain, authType, socket), Certificates.EKU_CLIENT_AUTH, "client",
                null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType, socket), Certificates.EKU_SERVER_AUTH, "server",
                null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checked(chain, () -> pkix.checkClientTrusted(chain, authType), Certificates.EKU_CLIENT_AUTH, "client", null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType), Certificates.EKU_SERVER_AUTH, "server", null);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }

    /**
     * How many certificate chains this manager was asked to check. A resumed TLS session checks none, so a
     * benchmark compares this with its handshake count to prove that every handshake was a full one.
     */
    public long checkedChains() {
        return checkedChains.get();
    }

    /** The trust manager for plain {@link X509TrustManager} users. */
    public X509TrustManager asX509() {
        return this;
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void checked(X509Certificate[] chain, Check pkixCheck, String eku, String role, SSLEngine engine)
            throws CertificateException {
        checkedChains.incrementAndGet();
        String subject = chain == null || chain.length == 0 ? "(no certificate)"
                : chain[0].getSubjectX500Principal().getName();
        try {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the " + role + " sent no certificate");
            }
            X509Certificate leaf = chain[0];
            // the usual refusals first, in words an operator can act on; PKIX then checks everything again
            checkValidity(leaf, role);
            checkIssuer(leaf, role);
            if (!Certificates.hasExtendedKeyUsage(leaf, eku)) {
                throw new CertificateException("the " + role + " certificate lacks the "
                        + (role.equals("client") ? "clientAuth" : "serverAuth") + " extended key usage");
            }
            pkixCheck.run();
            if (revocations.isRevoked(leaf)) {
                throw new CertificateException("the " + role + " certificate (serial "
                        + Certificates.serialHex(leaf) + ") is revoked");
            }
        } catch (CertificateException e) {
            LOG.info("refused {} certificate {} from {}: {}", role, subject, peer(engine), e.getMessage());
            throw e;
        }
    }

    private void checkValidity(X509Certificate leaf, String role) throws CertificateException {
        Instant now = clock.instant();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new CertificateExpiredException("the " + role + " certificate expired on "
                    + leaf.getNotAfter().toInstant());
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new CertificateNotYetValidException("the " + role + " certificate is not valid before "
                    + leaf.getNotBefore().toInstant());
        }
    }

    /** Names alone do not tell two CAs apart (every test CA is "Test CA"): the anchor's key must verify the leaf. */
    private void checkIssuer(X509Certificate leaf, String role) throws CertificateException {
        for (X509Certificate anchor : anchors) {
            if (anchor.getSubjectX500Principal().equals(leaf.getIssuerX500Principal()) && signedBy(leaf, anchor)) {
                return;
            }
        }
        if (leaf.getIssuerX500Principal().equals(leaf.getSubjectX500Principal()) && signedBy(leaf, leaf)) {
            throw new CertificateException("the " + role + " certificate is self-signed");
        }
        throw new CertificateException("the " + role + " certificate is issued by "
                + leaf.getIssuerX500Principal().getName() + ", not by the fleet's CA");
    }

    private static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
        try {
            certificate.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String peer(SSLEngine engine) {
        if (engine == null || engine.getPeerHost() == null) {
            return "an unnamed peer";
        }
        return engine.getPeerHost() + ":" + engine.getPeerPort();
    }
}
