package net.otb.agent.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.RevocationList;
import net.otb.protocol.tls.FleetTrustManager;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;

/**
 * The client side of the fleet's TLS: the CA anchors, the trust manager made from them once, and the
 * provider. Each agent has its own key, so each needs its own {@link ClientTlsContext}; sharing one
 * {@code ClientTls} among agents of the same CA makes those contexts cheap (the trust manager, its key
 * store and PKIX parameters are built once). Same settings as {@link TlsContexts#client}: TLS 1.3/1.2,
 * ECDHE+AEAD, serverAuth EKU, hostname verification against the host the handler is made for.
 * Thread-safe.
 */
public final class ClientTls {

    private final List<X509Certificate> anchors;
    private final FleetTrustManager trustManager;
    private final SslProvider provider;

    private ClientTls(List<X509Certificate> anchors, SslProvider provider) {
        this.anchors = List.copyOf(anchors);
        this.trustManager = FleetTrustManager.of(this.anchors, RevocationList.inMemory());
        this.provider = provider;
    }

    /**
     * @throws IllegalStateException when {@code provider} is {@code OPENSSL} and BoringSSL cannot load
     */
    public static ClientTls of(List<X509Certificate> anchors, TlsProvider provider) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("at least one CA certificate is needed");
        }
        return new ClientTls(anchors, provider.resolve());
    }

    public List<X509Certificate> anchors() {
        return anchors;
    }

    /** A short name of the provider, for logs. */
    public String providerName() {
        return TlsProvider.describe(provider);
    }

    /**
     * A context presenting {@code credentials}. With the JDK provider it is made without Netty's
     * {@code JdkSslContext} (see {@link JdkClientContext}), with BoringSSL through Netty's {@link SslContext}.
     *
     * @throws SSLException when the provider refuses the key or chain
     */
    public ClientTlsContext contextFor(Credentials credentials) throws SSLException {
        if (provider == SslProvider.JDK) {
            return JdkClientContext.of(credentials, trustManager);
        }
        SslContext context = SslContextBuilder.forClient()
                .keyManager(credentials.key(), credentials.chain().toArray(X509Certificate[]::new))
                .sslProvider(provider)
                .trustManager(trustManager)
                .protocols(TlsContexts.PROTOCOLS)
                .ciphers(TlsContexts.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
        return context::newHandler;
    }
}
