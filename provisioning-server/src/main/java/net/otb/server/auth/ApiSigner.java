package net.otb.server.auth;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Signs requests as OVH's clients do, for our own Java callers (the tests, the simulator, the demo): holds the
 * credentials of one or more roles and, for each request, uses the first whose rules grant the call. Its clock
 * should be the server's (the same injected clock in-process, or the system clock corrected by
 * {@code GET /1.0/auth/time}). Two state-changing requests that would sign alike (same call, body and second)
 * get the next second's timestamp instead: the server answers a byte-identical replay with the first answer
 * (the signature is its implicit Idempotency-Key), which a second, distinct request must not get. Thread-safe.
 */
public final class ApiSigner {

    private static final int REMEMBERED = 4096;

    /**
     * At most this many seconds ahead: inside the server's default window (60 s), enough for the tests' 50 identical
     * concurrent requests on a frozen clock.
     */
    private static final int MAX_BUMP = 55;

    private final List<ApiCredential> credentials;
    private final Clock clock;
    private final Set<String> recent = new HashSet<>();
    private final Deque<String> order = new ArrayDeque<>();

    public ApiSigner(List<ApiCredential> credentials, Clock clock) {
        if (credentials.isEmpty()) {
            throw new IllegalArgumentException("a signer needs at least one credential");
        }
        this.credentials = List.copyOf(credentials);
        this.clock = clock;
    }

    public List<ApiCredential> credentials() {
        return credentials;
    }

    /** The credential whose rules grant {@code method} on {@code path} ({@code /1.0/...}), if any. */
    public Optional<ApiCredential> credentialFor(String method, String path) {
        return credentials.stream().filter(c -> c.grants(method, path)).findFirst();
    }

    /**
     * The {@code X-Ovh-*} headers of a request, signed with the first credential that grants it, else with the first
     * credential (the server then answers 403 naming the call); none for a route that needs no signature.
     *
     * @param uri the full URI the request goes to
     * @param body the exact body, empty for none
     */
    public Optional<ApiCredential.SignedHeaders> sign(String method, URI uri, String body) {
        String path = uri.getRawPath();
        if (!path.startsWith(Authenticator.BASE_PATH + "/") || Authenticator.PUBLIC_ROUTES.contains(path)) {
            return Optional.empty();
        }
        Optional<ApiCredential> credential = credentialFor(method, path).or(() -> Optional.of(credentials.get(0)));
        String target = path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String url = "https://" + uri.getHost() + target;
        long timestamp = clock.instant().getEpochSecond();
        ApiCredential.SignedHeaders headers = credential.get().sign(method, url, body, timestamp);
        if (!method.equals("GET") && !method.equals("HEAD")) {
            synchronized (this) {
                for (int bump = 1; recent.contains(headers.signature()) && bump < MAX_BUMP; bump++) {
                    headers = credential.get().sign(method, url, body, timestamp + bump);
                }
                recent.add(headers.signature());
                order.addLast(headers.signature());
                if (order.size() > REMEMBERED) {
                    recent.remove(order.removeFirst());
                }
            }
        }
        return Optional.of(headers);
    }

    /** A TLS context that trusts only {@code anchors} (the dev CA, or the CA of the API's certificate). */
    public static SSLContext trusting(List<X509Certificate> anchors) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("anchor-" + i, anchors.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a TLS context trusting " + anchors.size() + " anchors", e);
        }
    }
}
