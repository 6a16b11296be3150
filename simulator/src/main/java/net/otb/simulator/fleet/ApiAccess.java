package net.otb.simulator.fleet;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLContext;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.ApiSigner;

/**
 * How the simulator reaches a server's API: its base URI ({@code https://127.0.0.1:PORT/}), the TLS context that
 * trusts its certificate, and the signer holding credentials of the roles the simulator plays (order system,
 * billing, warehouse, operator).
 */
public record ApiAccess(URI base, SSLContext trust, ApiSigner signer) {

    public ApiAccess {
        if (base == null || trust == null || signer == null) {
            throw new IllegalArgumentException("an API access needs a base URI, a trust context and a signer");
        }
    }

    /** Trusts {@code anchors}, signs with {@code credentials} on {@code clock} (the server's, or corrected to it). */
    public static ApiAccess of(URI base, List<X509Certificate> anchors, List<ApiCredential> credentials, Clock clock) {
        return new ApiAccess(base, ApiSigner.trusting(anchors), new ApiSigner(credentials, clock));
    }
}
