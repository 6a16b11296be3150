package net.otb.protocol.testing;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import net.otb.protocol.pki.Credentials;

/**
 * A client key manager that presents its certificate whatever CAs the server says it accepts, as an
 * attacker's client would. A polite client keeps a self-signed certificate to itself, so without this a
 * test would only prove that "no certificate" is refused.
 */
public final class PushyKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "box";

    private final Credentials credentials;

    public PushyKeyManager(Credentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return ALIAS;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return credentials.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return credentials.key();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
