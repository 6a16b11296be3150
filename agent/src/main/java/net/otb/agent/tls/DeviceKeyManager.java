package net.otb.agent.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import net.otb.protocol.pki.Credentials;

/**
 * The box's one key and chain, offered to any server that asks for a client certificate of the key's type.
 * The JDK's own key managers need a key store: a PKCS#12 one encrypts the key on the way in (PBKDF2 with
 * thousands of rounds) and loads the PKCS#12 classes, all for one key the agent already holds.
 */
final class DeviceKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "device";

    private final PrivateKey key;
    private final X509Certificate[] chain;

    DeviceKeyManager(Credentials credentials) {
        this.key = credentials.key();
        this.chain = credentials.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return chooseClientAlias(keyTypes, issuers, null);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        if (keyTypes != null) {
            for (String keyType : keyTypes) {
                if (matches(keyType)) {
                    return ALIAS;
                }
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return matches(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    /** "EC" in TLS 1.3; TLS 1.2 may name the signing key type as "EC_EC". */
    private boolean matches(String keyType) {
        String algorithm = key.getAlgorithm();
        return keyType != null && (keyType.equals(algorithm) || keyType.startsWith(algorithm + "_"));
    }
}
