package net.otb.protocol.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.RevocationList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the TLS contexts of both ends: TLS 1.3 and 1.2 only, ECDHE key exchange with AEAD ciphers only,
 * the fleet's CA as the only anchor. The server requires a client certificate.
 */
public final class TlsContexts {

    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** TLS 1.3 suites first; the 1.2 ones are ECDHE-ECDSA with AEAD only, as every key is P-256. */
    public static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");

    /**
     * Key-exchange groups for the BoringSSL provider: P-256 first, as docs/architecture.md#agent-protocol and the handshake budget
     * assume; X25519 still accepted because a JDK 17 peer offers it first (the JDK provider's groups can
     * only be set JVM-wide, with {@code jdk.tls.namedGroups}).
     */
    public static final String[] OPENSSL_GROUPS = {"P-256", "X25519"};

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);

    private TlsContexts() {
    }

    /**
     * The server's context: presents {@code credentials}, requires a client certificate issued by one of
     * {@code anchors}, not revoked, with the clientAuth usage.
     *
     * @throws SSLException when the credentials or the provider cannot be used
     */
    public static SslContext server(Credentials credentials, List<X509Certificate> anchors,
                                    RevocationList revocations, TlsProvider provider) throws SSLException {
        return server(credentials, FleetTrustManager.of(anchors, revocations), provider);
    }

    /**
     * As {@link #server(Credentials, List, RevocationList, TlsProvider)} with a trust manager the caller
     * keeps, e.g. to read {@link FleetTrustManager#checkedChains()} or to inject a clock.
     *
     * @throws SSLException when the credentials or the provider cannot be used
     */
    public static SslContext server(Credentials credentials, FleetTrustManager trust, TlsProvider provider)
            throws SSLException {
        return server(credentials, trust, provider, null);
    }

    /**
     * As {@link #server(Credentials, FleetTrustManager, TlsProvider)}, issuing TLS 1.3 session tickets sealed with
     * {@code tickets} (BoringSSL; the JDK provider seals them with keys of its own), with a session lifetime of one
     * rotation period, so that a box that reconnects resumes instead of paying a full handshake. Tickets still
     * need a key exchange (BoringSSL offers PSK with ECDHE only): forward secrecy stays. The caller calls
     * {@link TicketKeys#install} on the returned context from time to time to rotate the keys. Either way the caller
     * checks every established session with {@link FleetTrustManager#checkEstablished}: a resumed one skips the
     * trust manager.
     *
     * @param tickets null to leave the ticket keys to the provider: BoringSSL and the JDK then make keys of their own
     *        for the life of the context, which a restart or another instance cannot open
     * @throws SSLException when the credentials or the provider cannot be used
     */
    public static SslContext server(Credentials credentials, FleetTrustManager trust, TlsProvider provider,
                                    TicketKeys tickets) throws SSLException {
        SslProvider resolved = provider.resolve();
        SslContextBuilder builder = SslContextBuilder.forServer(keyManagers(credentials, resolved))
                .sslProvider(resolved)
                .trustManager(trust)
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
        if (tickets != null) {
            builder.sessionTimeout(tickets.sessionTimeoutSeconds());
        }
        SslContext context = withGroups(builder, resolved).build();
        if (tickets != null) {
            tickets.install(context);
        }
        LOG.info("server TLS: provider {}, protocols {}, session tickets {}", TlsProvider.describe(resolved),
                String.join(",", PROTOCOLS), tickets == null ? "sealed with the provider's own keys (lost at restart)"
                        : "sealed with the fleet's keys (rotation " + tickets.rotation() + ")");
        return context;
    }

    /**
     * A box's context: presents {@code credentials} and trusts only a server certificate issued by one of
     * {@code anchors} with the serverAuth usage, and whose SANs match the host the handler is made for
     * ({@code newHandler(alloc, host, port)}).
     *
     * @throws SSLException when the credentials or the provider cannot be used
     */
    public static SslContext client(Credentials credentials, List<X509Certificate> anchors, TlsProvider provider)
            throws SSLException {
        return client(credentials, FleetTrustManager.of(anchors, RevocationList.inMemory()), provider);
    }

    /**
     * As {@link #client(Credentials, List, TlsProvider)} with a trust manager the caller keeps.
     *
     * @throws SSLException when the credentials or the provider cannot be used
     */
    public static SslContext client(Credentials credentials, FleetTrustManager trust, TlsProvider provider)
            throws SSLException {
        SslProvider resolved = provider.resolve();
        SslContextBuilder builder = SslContextBuilder.forClient()
                .keyManager(keyManagers(credentials, resolved))
                .sslProvider(resolved)
                .trustManager(trust)
                .protocols(PROTOCOLS)
                .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .endpointIdentificationAlgorithm("HTTPS");
        SslContext context = withGroups(builder, resolved).build();
        LOG.debug("client TLS: provider {}", TlsProvider.describe(resolved));
        return context;
    }

    /**
     * The key and chain as a key-manager factory. For BoringSSL it is wrapped so that the native copy of the
     * key and chain is made once: given a bare key, Netty converts them again on every handshake, which cost
     * the benchmark more than a signature (docs/benchmarks.md).
     */
    private static KeyManagerFactory keyManagers(Credentials credentials, SslProvider provider) throws SSLException {
        try {
            char[] password = "otb".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            // a store that lives in memory for the length of this call: one PBKDF2 iteration, not the default 10,000
            // twice (seal, then unseal in init), which was a quarter of a server's start
            byte[] salt = new byte[16];
            new java.security.SecureRandom().nextBytes(salt);
            store.setEntry("otb", new KeyStore.PrivateKeyEntry(credentials.key(),
                            credentials.chain().toArray(X509Certificate[]::new)),
                    new KeyStore.PasswordProtection(password, "PBEWithHmacSHA256AndAES_256",
                            new javax.crypto.spec.PBEParameterSpec(salt, 1)));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            return provider == SslProvider.JDK ? factory : new OpenSslCachingX509KeyManagerFactory(factory);
        } catch (GeneralSecurityException | IOException e) {
            throw new SSLException("cannot use the key and certificate chain of " + credentials.leaf()
                    .getSubjectX500Principal().getName(), e);
        }
    }

    private static SslContextBuilder withGroups(SslContextBuilder builder, SslProvider provider) {
        return provider == SslProvider.JDK ? builder : builder.option(OpenSslContextOption.GROUPS, OPENSSL_GROUPS);
    }
}
