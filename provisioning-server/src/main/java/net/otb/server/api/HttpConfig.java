package net.otb.server.api;

import java.nio.file.Path;

/**
 * The HTTP API's settings.
 *
 * @param host the address to bind (loopback by default)
 * @param port the HTTPS port (HTTP with {@code insecure}), 0 for any free port
 * @param maxBodyBytes a larger request body is answered 413
 * @param workers threads running handlers (they hold a database connection while they run)
 * @param queue requests waiting for a worker; more are answered 503
 * @param insecure plain HTTP instead of HTTPS, for local experiments only: refused on a non-loopback address
 * @param tlsCertificate the certificate chain served (PEM, leaf first); null for the server's own (the dev PKI's
 *        server certificate, or the configured PKI's)
 * @param tlsKey its key (PKCS#8 PEM); given with {@code tlsCertificate}
 * @param credentialKeyFile the AES key that seals the application secrets; null for {@code DATADIR/api-secrets.key}
 * @param signatureWindowSeconds a signed request's timestamp may be this far from the server's clock
 */
public record HttpConfig(String host, int port, int maxBodyBytes, int workers, int queue, boolean insecure,
                         Path tlsCertificate, Path tlsKey, Path credentialKeyFile, int signatureWindowSeconds) {

    /** The default signature window: OVH's clients read {@code /auth/time} first, so their drift is small. */
    public static final int DEFAULT_SIGNATURE_WINDOW_SECONDS = 60;

    public HttpConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("http host is required");
        }
        check(port, 0, 65_535, "http port");
        check(maxBodyBytes, 1, 16 * 1024 * 1024, "maxBodyBytes");
        check(workers, 1, 256, "http workers");
        check(queue, 1, 100_000, "http queue");
        check(signatureWindowSeconds, 1, 3_600, "signatureWindowSeconds");
        if ((tlsCertificate == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("the HTTPS certificate chain and its key go together");
        }
        if (insecure && tlsCertificate != null) {
            throw new IllegalArgumentException("an HTTPS certificate was given with plain HTTP (insecure)");
        }
    }

    /** HTTPS with the server's own certificate, the default window, the default key file. */
    public HttpConfig(String host, int port, int maxBodyBytes, int workers, int queue) {
        this(host, port, maxBodyBytes, workers, queue, false, null, null, null, DEFAULT_SIGNATURE_WINDOW_SECONDS);
    }

    /** Loopback, port 8080, HTTPS, 64 KiB bodies, 8 workers, 512 queued requests. */
    public static HttpConfig defaults() {
        return new HttpConfig("127.0.0.1", 8080, 65_536, 8, 512);
    }

    public HttpConfig withPort(int newPort) {
        return new HttpConfig(host, newPort, maxBodyBytes, workers, queue, insecure, tlsCertificate, tlsKey,
                credentialKeyFile, signatureWindowSeconds);
    }

    public HttpConfig withHost(String newHost) {
        return new HttpConfig(newHost, port, maxBodyBytes, workers, queue, insecure, tlsCertificate, tlsKey,
                credentialKeyFile, signatureWindowSeconds);
    }

    public HttpConfig withMaxBodyBytes(int bytes) {
        return new HttpConfig(host, port, bytes, workers, queue, insecure, tlsCertificate, tlsKey, credentialKeyFile,
                signatureWindowSeconds);
    }

    /** Plain HTTP (true) or HTTPS. */
    public HttpConfig withInsecure(boolean value) {
        return new HttpConfig(host, port, maxBodyBytes, workers, queue, value, value ? null : tlsCertificate,
                value ? null : tlsKey, credentialKeyFile, signatureWindowSeconds);
    }

    /** HTTPS with this chain and key instead of the server's own certificate. */
    public HttpConfig withTlsCertificate(Path chain, Path key) {
        return new HttpConfig(host, port, maxBodyBytes, workers, queue, insecure, chain, key, credentialKeyFile,
                signatureWindowSeconds);
    }

    public HttpConfig withCredentialKeyFile(Path file) {
        return new HttpConfig(host, port, maxBodyBytes, workers, queue, insecure, tlsCertificate, tlsKey, file,
                signatureWindowSeconds);
    }

    public HttpConfig withSignatureWindowSeconds(int seconds) {
        return new HttpConfig(host, port, maxBodyBytes, workers, queue, insecure, tlsCertificate, tlsKey,
                credentialKeyFile, seconds);
    }

    private static void check(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
