package net.otb.protocol.tls;

import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import net.otb.protocol.LogSafe;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.RevocationList;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trusts the fleet's CA and nothing else, with checks the JDK's PKIX validation lacks or words vaguely: the
 * revocation list, read on every handshake, and the extended key usage the role needs (clientAuth for boxes,
 * serverAuth for the server). The usual refusals (expired, not yet valid, self-signed, another CA, wrong
 * usage, revoked) are worded here; each is logged once with the subject and the peer. Box certificates are
 * validated here alone, server certificates also by the JDK's PKIX (see {@link #checked}).
 */
public final class FleetTrustManager extends X509ExtendedTrustManager {

    /** Certificates remembered as verified: a fleet of 10,000 boxes with room to spare (about 100 bytes each). */
    public static final int DEFAULT_VERIFIED_CACHE_SIZE = 32_768;

    private static final Logger LOG = LoggerFactory.getLogger(FleetTrustManager.class);

    /** basicConstraints, keyUsage, extendedKeyUsage, subjectAltName: what {@link #checkLeaf} acts on or ignores safely. */
    private static final Set<String> UNDERSTOOD_CRITICAL = Set.of("2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.17");

    private final X509ExtendedTrustManager pkix;
    private final RevocationList revocations;
    private final List<X509Certificate> anchors;
    private final Clock clock;
    private final AtomicLong checkedChains = new AtomicLong();
    private final int verifiedCacheSize;
    private final Map<ByteBuffer, Boolean> verified = new ConcurrentHashMap<>();

    private FleetTrustManager(X509ExtendedTrustManager pkix, RevocationList revocations,
                              List<X509Certificate> anchors, Clock clock, int verifiedCacheSize) {
        this.pkix = pkix;
        this.revocations = revocations;
        this.anchors = List.copyOf(anchors);
        this.clock = clock;
        this.verifiedCacheSize = verifiedCacheSize;
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
        return of(anchors, revocations, clock, DEFAULT_VERIFIED_CACHE_SIZE);
    }

    /**
     * As {@link #of(List, RevocationList, Clock)}, remembering at most {@code verifiedCacheSize} certificates
     * whose signature verified (0: verify every time, as after a restart).
     */
    public static FleetTrustManager of(List<X509Certificate> anchors, RevocationList revocations, Clock clock,
                                       int verifiedCacheSize) {
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
                    return new FleetTrustManager(extended, revocations, anchors, clock, verifiedCacheSize);
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
        checked(chain, null, Certificates.EKU_CLIENT_AUTH, "client", engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        // PKIX without the JDK's host check, then ours (see ServerNames: the JDK's loads the public CA store)
        checked(chain, () -> {
            pkix.checkServerTrusted(chain, authType);
            if (engine != null && "HTTPS".equalsIgnoreCase(engine.getSSLParameters().getEndpointIdentificationAlgorithm())) {
                ServerNames.check(chain[0], engine.getPeerHost());
            }
        }, Certificates.EKU_SERVER_AUTH, "server", engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, null, Certificates.EKU_CLIENT_AUTH, "client", null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checked(chain, () -> pkix.checkServerTrusted(chain, authType, socket), Certificates.EKU_SERVER_AUTH, "server",
                null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checked(chain, null, Certificates.EKU_CLIENT_AUTH, "client", null);
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

    /**
     * Checks a peer's chain. A server certificate also goes through the JDK's PKIX validation, then
     * {@link ServerNames} checks the host name the box dialled. A box's certificate does not: on the server's hot path PKIX cost more
     * CPU than the handshake's crypto (docs/benchmarks.md), and the fleet's path is always one step, a leaf
     * signed by an anchor, for which {@link #checkLeaf} does what RFC 5280 asks of such a path.
     *
     * @param pkixCheck the JDK's check, or {@code null} to rely on the checks here alone
     */
    private void checked(X509Certificate[] chain, Check pkixCheck, String eku, String role, SSLEngine engine)
            throws CertificateException {
        checkedChains.incrementAndGet();
        try {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the " + role + " sent no certificate");
            }
            X509Certificate leaf = chain[0];
            // the usual refusals first, in words an operator can act on; for a server's certificate PKIX then
            // checks everything again, with the host name
            checkValidity(leaf, role);
            // a box's certificate is checked on the server's hot path; the server's once per connection on a box
            X509Certificate anchor = checkIssuer(leaf, role, pkixCheck == null);
            if (!Certificates.hasExtendedKeyUsage(leaf, eku)) {
                throw Refusal.of(Refusal.INVALID_PURPOSE, "the " + role + " certificate lacks the "
                        + (role.equals("client") ? "clientAuth" : "serverAuth") + " extended key usage");
            }
            if (pkixCheck != null) {
                pkixCheck.run();
            } else {
                checkLeaf(leaf, anchor, role);
            }
            if (revocations.isRevoked(leaf)) {
                throw Refusal.of(Refusal.REVOKED, "the " + role + " certificate (serial "
                        + Certificates.serialHex(leaf) + ") is revoked");
            }
        } catch (CertificateException e) {
            // the subject's text is made only for a refusal: on the hot path it cost more than the EKU check
            String subject = chain == null || chain.length == 0 ? "(no certificate)"
                    : chain[0].getSubjectX500Principal().getName();
            LOG.info("event=tls.refused role={} subject={} peer={} reason={}", role,
                    net.otb.protocol.logging.LogFields.value(subject), peer(engine),
                    net.otb.protocol.logging.LogFields.value(e.getMessage()));
            throw e;
        }
    }

    /**
     * What may have changed about a box's certificate since a handshake checked it: its dates and the revocation
     * list. A resumed TLS session (a session ticket) skips this trust manager, so the gateway calls this after
     * every handshake, full or resumed, before the box is welcomed; it costs a clock read and a set look-up.
     *
     * @throws CertificateException when the certificate has expired, is not valid yet, or is revoked now
     */
    public void checkEstablished(X509Certificate leaf) throws CertificateException {
        checkValidity(leaf, "client");
        if (revocations.isRevoked(leaf)) {
            throw new CertificateException("the client certificate (serial " + Certificates.serialHex(leaf)
                    + ") is revoked");
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
    private X509Certificate checkIssuer(X509Certificate leaf, String role, boolean hotPath)
            throws CertificateException {
        for (X509Certificate anchor : anchors) {
            if (anchor.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())
                    && signedBy(leaf, anchor, hotPath)) {
                return anchor;
            }
        }
        if (leaf.getIssuerX500Principal().equals(leaf.getSubjectX500Principal()) && signedBy(leaf, leaf, false)) {
            throw Refusal.of(Refusal.SELF_SIGNED, "the " + role + " certificate is self-signed");
        }
        throw Refusal.of(Refusal.UNKNOWN_ISSUER, "the " + role + " certificate is issued by "
                + leaf.getIssuerX500Principal().getName() + ", not by the fleet's CA");
    }

    /** The rest of RFC 5280 path validation for a one-step path, the signature and dates being checked already. */
    private void checkLeaf(X509Certificate leaf, X509Certificate anchor, String role) throws CertificateException {
        Instant now = clock.instant();
        if (now.isAfter(anchor.getNotAfter().toInstant()) || now.isBefore(anchor.getNotBefore().toInstant())) {
            throw Refusal.of(Refusal.REJECTED, "the fleet's CA certificate is not valid now (valid "
                    + anchor.getNotBefore().toInstant() + " to " + anchor.getNotAfter().toInstant() + ")");
        }
        if (!(leaf.getPublicKey() instanceof ECPublicKey key)
                || key.getParams().getCurve().getField().getFieldSize() != 256) {
            throw Refusal.of(Refusal.REJECTED, "the " + role + " certificate's key is not ECDSA P-256");
        }
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage != null && !keyUsage[0]) {
            throw Refusal.of(Refusal.INVALID_PURPOSE, "the " + role + " certificate's key usage lacks digitalSignature");
        }
        Set<String> critical = leaf.getCriticalExtensionOIDs();
        if (critical != null) {
            for (String oid : critical) {
                if (!UNDERSTOOD_CRITICAL.contains(oid)) {
                    throw Refusal.of(Refusal.REJECTED, "the " + role + " certificate has an unknown critical extension "
                            + oid);
                }
            }
        }
    }

    /**
     * Whether {@code issuer}'s key signed {@code certificate}. On the hot path (a box's certificate, on the
     * server) this is the one signature the server checks in Java on every handshake (BoringSSL checks the
     * rest natively), so it is done with BouncyCastle, about three times faster than the JDK 17 provider
     * for P-256, and a success is remembered by the certificate's SHA-256: a box that reconnects with the
     * same certificate is not verified again. Elsewhere (on a box, with its small heap) the JDK verifies.
     */
    private boolean signedBy(X509Certificate certificate, X509Certificate issuer, boolean hotPath) {
        if (!hotPath) {
            try {
                certificate.verify(issuer.getPublicKey());
                return true;
            } catch (GeneralSecurityException e) {
                return false;
            }
        }
        try {
            ByteBuffer key = null;
            if (verifiedCacheSize > 0) {
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                sha256.update(issuer.getPublicKey().getEncoded());
                key = ByteBuffer.wrap(sha256.digest(certificate.getEncoded()));
                if (verified.containsKey(key)) {
                    return true;
                }
            }
            Boolean fast = FastVerify.verifies(certificate, issuer);
            if (fast == null) {
                certificate.verify(issuer.getPublicKey(), BouncyCastle.PROVIDER);
            } else if (!fast) {
                return false;
            }
            if (key != null) {
                if (verified.size() >= verifiedCacheSize) {
                    // crude but bounded: a fleet that outgrows the cache only pays the verification again
                    verified.clear();
                }
                verified.put(key, Boolean.TRUE);
            }
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The fleet's one signature (SHA256withECDSA by a P-256 CA) checked with BouncyCastle's ECDSA directly, with the
     * CA's public point decoded once per CA and kept, so that its precomputed multiples are reused by every check:
     * two to three times cheaper than {@code X509Certificate.verify} through the provider, which decodes the key
     * again each time (docs/benchmarks.md). Anything else (another algorithm or curve) is left to the provider.
     */
    private static final class FastVerify {
        static final String SHA256_WITH_ECDSA = "1.2.840.10045.4.3.2";
        static final org.bouncycastle.asn1.x9.X9ECParameters P256 =
                org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256r1");
        static final org.bouncycastle.crypto.params.ECDomainParameters DOMAIN =
                new org.bouncycastle.crypto.params.ECDomainParameters(P256.getCurve(), P256.getG(), P256.getN(),
                        P256.getH());
        static final Map<ByteBuffer, org.bouncycastle.crypto.params.ECPublicKeyParameters> KEYS =
                new ConcurrentHashMap<>();

        /** Whether the signature verifies; null when it is not one checked here (the provider checks it). */
        static Boolean verifies(X509Certificate certificate, X509Certificate issuer) {
            if (!SHA256_WITH_ECDSA.equals(certificate.getSigAlgOID())
                    || !(issuer.getPublicKey() instanceof ECPublicKey ec)
                    || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                return null;
            }
            try {
                org.bouncycastle.crypto.params.ECPublicKeyParameters key = KEYS.computeIfAbsent(
                        ByteBuffer.wrap(ec.getEncoded()), k -> new org.bouncycastle.crypto.params.ECPublicKeyParameters(
                                P256.getCurve().createPoint(ec.getW().getAffineX(), ec.getW().getAffineY()).normalize(),
                                DOMAIN));
                byte[] hash = MessageDigest.getInstance("SHA-256").digest(certificate.getTBSCertificate());
                org.bouncycastle.asn1.ASN1Sequence signature =
                        org.bouncycastle.asn1.ASN1Sequence.getInstance(certificate.getSignature());
                if (signature.size() != 2) {
                    return Boolean.FALSE;
                }
                org.bouncycastle.crypto.signers.ECDSASigner signer = new org.bouncycastle.crypto.signers.ECDSASigner();
                signer.init(false, key);
                return signer.verifySignature(hash,
                        org.bouncycastle.asn1.ASN1Integer.getInstance(signature.getObjectAt(0)).getValue(),
                        org.bouncycastle.asn1.ASN1Integer.getInstance(signature.getObjectAt(1)).getValue());
            } catch (GeneralSecurityException | RuntimeException e) {
                // a malformed signature or key: not a signature of this CA
                return Boolean.FALSE;
            }
        }
    }

    /** The BouncyCastle provider, made once: it is immutable once built and costly to build. */
    private static final class BouncyCastle {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    private static String peer(SSLEngine engine) {
        if (engine == null || engine.getPeerHost() == null) {
            return "an unnamed peer";
        }
        return engine.getPeerHost() + ":" + engine.getPeerPort();
    }
}
