package net.otb.agent.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.tls.FleetTrustManager;
import net.otb.protocol.tls.TlsContexts;

/**
 * The JDK provider's client context, made straight from {@link SSLContext} rather than through Netty's
 * {@code JdkSslContext}: that class's first use initialises a default JDK context, which loads and parses the
 * JVM's whole CA store ({@code cacerts}, ~150 certificates, ~3 MB allocated at start) that the fleet never
 * trusts, a cost a 64 MB box pays for nothing. Same settings as {@link TlsContexts#client}: TLS 1.3/1.2,
 * ECDHE+AEAD suites in our order, the fleet anchors only, host name checked against the server's SANs.
 */
final class JdkClientContext implements ClientTlsContext {

    private final SSLContext context;
    private final String[] protocols;
    private final String[] ciphers;

    private JdkClientContext(SSLContext context, String[] protocols, String[] ciphers) {
        this.context = context;
        this.protocols = protocols;
        this.ciphers = ciphers;
    }

    static JdkClientContext of(Credentials credentials, FleetTrustManager trust) throws SSLException {
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {new DeviceKeyManager(credentials)}, new TrustManager[] {trust}, null);
        } catch (GeneralSecurityException e) {
            throw new SSLException("cannot make a JDK TLS context: " + e.getMessage(), e);
        }
        SSLParameters supported = context.getSupportedSSLParameters();
        String[] protocols = keep(Arrays.asList(TlsContexts.PROTOCOLS), supported.getProtocols());
        String[] ciphers = keep(TlsContexts.CIPHERS, supported.getCipherSuites());
        if (protocols.length == 0 || ciphers.length == 0) {
            throw new SSLException("this JDK supports none of the protocols " + Arrays.toString(TlsContexts.PROTOCOLS)
                    + " or none of the cipher suites " + TlsContexts.CIPHERS);
        }
        return new JdkClientContext(context, protocols, ciphers);
    }

    @Override
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port) {
        SSLEngine engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        // the host also goes out as SNI when it is a name: the JDK does that for an engine made with its peer
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setCipherSuites(ciphers);
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return new SslHandler(engine);
    }

    /** {@code wanted} in its order, without what {@code supported} lacks. */
    private static String[] keep(List<String> wanted, String[] supported) {
        Set<String> available = new HashSet<>(Arrays.asList(supported));
        List<String> kept = new ArrayList<>();
        for (String name : wanted) {
            if (available.contains(name)) {
                kept.add(name);
            }
        }
        return kept.toArray(String[]::new);
    }
}
