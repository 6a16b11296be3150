package net.otb.protocol.pki;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A private key and its certificate chain, leaf first: what a TLS peer presents. */
public record Credentials(PrivateKey key, List<X509Certificate> chain) {

    public Credentials {
        if (key == null) {
            throw new IllegalArgumentException("key is required");
        }
        if (chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("chain needs at least the leaf certificate");
        }
        chain = List.copyOf(chain);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /**
     * Loads a PEM key and a PEM chain, and checks that they belong together.
     *
     * @throws PkiException naming the file that is missing, unreadable or does not match
     */
    public static Credentials load(Path keyFile, Path chainFile) throws PkiException {
        PrivateKey key = Pem.readPrivateKey(keyFile);
        List<X509Certificate> chain = Pem.readCertificates(chainFile);
        Certificates.checkKeyMatches(key, chain.get(0), keyFile, chainFile);
        return new Credentials(key, chain);
    }
}
