package net.otb.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.otb.server.api.ApiRequest;
import net.otb.server.api.ProblemException;
import net.otb.server.api.Problems;
import net.otb.server.api.Router;
import net.otb.server.store.Database;

/**
 * Checks OVH's signed requests (docs/architecture.md#the-order-api): the application and consumer keys exist and belong together, the
 * timestamp is within ±window of the server's clock, the signature covers this method, URL, body and timestamp,
 * and the consumer key's rules grant the call (but on {@link #ANY_ROLE_ROUTES}, which any signed caller may read). Refusals are problem+json 401 (who you are is not proven) or 403 (proven, not allowed), with OVH's
 * {@code errorCode} and {@code message}. Thread-safe; runs on the HTTP workers.
 *
 * <p>Consumer keys are kept in memory for {@link #GRANT_TTL} after a lookup (a key created by another server sharing
 * the database is found at once, a changed one within that time). Replays are not refused here: a state-changing
 * request's signature is its implicit Idempotency-Key ({@link #implicitIdempotencyKey}), kept in the store, so a
 * byte-identical replay inside the window, on any instance, gets the first answer and never runs twice; reads may
 * be sent twice in a second with one signature, as a polling client does.
 */
public final class Authenticator {

    public static final String BASE_PATH = "/1.0";
    public static final String APPLICATION = "X-Ovh-Application";
    public static final String CONSUMER = "X-Ovh-Consumer";
    public static final String TIMESTAMP = "X-Ovh-Timestamp";
    public static final String SIGNATURE = "X-Ovh-Signature";

    /** Routes under {@code /1.0} that need no signature: the time, and the API's description. */
    public static final Set<String> PUBLIC_ROUTES = Set.of("/1.0/auth/time", "/1.0/openapi.json");

    /**
     * Routes every signed caller may read whatever its rules, as on OVH's API: the credential's own description (what a
     * client such as the console shows and decides from).
     */
    public static final Set<String> ANY_ROLE_ROUTES = Set.of("/1.0/auth/currentCredential");

    /** How long a looked-up consumer key is trusted without reading the store again. */
    public static final Duration GRANT_TTL = Duration.ofSeconds(30);

    private record Cached(CredentialStore.Grant grant, long loadedAtMillis) {
    }

    private final Database database;
    private final CredentialStore store;
    private final Clock clock;
    private final long windowSeconds;
    private final Map<String, Cached> grants = new ConcurrentHashMap<>();

    public Authenticator(Database database, CredentialStore store, Clock clock, Duration window) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("the signature window is positive, got " + window);
        }
        this.database = database;
        this.store = store;
        this.clock = clock;
        this.windowSeconds = window.getSeconds();
    }

    /** Whether a route is served without a signature: operations routes outside {@code /1.0}, and the public ones. */
    public static boolean isPublic(Router.Route route) {
        return !route.template().startsWith(BASE_PATH + "/") || PUBLIC_ROUTES.contains(route.template());
    }

    /**
     * Authenticates and authorizes one request.
     *
     * @return who sent it
     * @throws ProblemException 401 or 403 with OVH's message
     * @throws net.otb.server.store.StoreException when the store cannot be read (answered 503 by the dispatcher)
     */
    public ApiCaller authenticate(ApiRequest request) {
        Optional<String> application = request.header(APPLICATION);
        Optional<String> consumer = request.header(CONSUMER);
        if (application.isEmpty() || consumer.isEmpty()) {
            throw unauthorized("NOT_CREDENTIAL", "You must login first: sign the request with " + APPLICATION + ", "
                    + CONSUMER + ", " + TIMESTAMP + " and " + SIGNATURE);
        }
        String timestampText = request.header(TIMESTAMP).orElseThrow(() ->
                unauthorized("INVALID_SIGNATURE", "Invalid signature: " + TIMESTAMP + " is missing"));
        String signature = request.header(SIGNATURE).orElseThrow(() ->
                unauthorized("INVALID_SIGNATURE", "Invalid signature: " + SIGNATURE + " is missing"));
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampText.trim());
        } catch (NumberFormatException e) {
            throw unauthorized("INVALID_SIGNATURE", "Invalid signature: " + TIMESTAMP + " is not epoch seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - timestamp) > windowSeconds) {
            throw unauthorized("QUERY_TIME_OUT", "Query out of time: the timestamp is " + (timestamp - now)
                    + " s from the server's time (window ±" + windowSeconds + " s); read GET /1.0/auth/time");
        }
        CredentialStore.Grant grant = grant(consumer.get()).orElse(null);
        if (grant == null || !grant.applicationKey().equals(application.get())) {
            boolean known = database.inTransaction(tx -> store.applicationExists(tx, application.get()));
            if (!known) {
                throw forbidden("INVALID_KEY", "This application key is invalid");
            }
            throw forbidden("INVALID_CREDENTIAL", "This credential does not exist for this application");
        }
        String host = request.header("host").orElseThrow(() ->
                unauthorized("INVALID_SIGNATURE", "Invalid signature: the request has no Host header"));
        String expected = OvhSignature.sign(grant.applicationSecret(), consumer.get(), request.method(),
                OvhSignature.fullUrl(host, request.target()), request.bodyText(), timestamp);
        if (!OvhSignature.same(expected, signature.trim())) {
            throw unauthorized("INVALID_SIGNATURE", "Invalid signature: it does not cover this method, URL "
                    + "(https://host/path?query, the host without its port), body and timestamp");
        }
        // a byte-identical replay of a state-changing call is not refused here: the dispatcher takes its signature as
        // an implicit Idempotency-Key of this credential, so it gets the first answer and never runs twice (the
        // official client signs in whole seconds: a retry in the same second is byte-identical)
        String apiPath = request.rawPath().substring(BASE_PATH.length());
        boolean anyRole = ANY_ROLE_ROUTES.contains(request.rawPath())
                && (request.method().equals("GET") || request.method().equals("HEAD"));
        if (!anyRole && grant.rules().stream().noneMatch(rule -> rule.grants(request.method(), apiPath))) {
            throw forbidden("NOT_GRANTED_CALL", "This call has not been granted: " + request.method() + " " + apiPath
                    + " is not in the rules of this " + grant.role() + " consumer key");
        }
        return new ApiCaller(grant.applicationKey(), grant.consumerId(), grant.role());
    }

    private Optional<CredentialStore.Grant> grant(String consumerKey) {
        long nowMillis = clock.millis();
        Cached cached = grants.get(consumerKey);
        if (cached != null && nowMillis - cached.loadedAtMillis() < GRANT_TTL.toMillis()
                && nowMillis >= cached.loadedAtMillis()) {
            return Optional.of(cached.grant());
        }
        Optional<CredentialStore.Grant> found = database.inTransaction(tx -> store.find(tx, consumerKey));
        if (found.isPresent()) {
            grants.put(consumerKey, new Cached(found.get(), nowMillis));
        } else {
            grants.remove(consumerKey);
        }
        return found;
    }

    /**
     * The implicit Idempotency-Key of a signed request that carries none: its signature (which covers method, URL,
     * body and timestamp), so only a byte-identical replay by the same credential matches it.
     */
    public static java.util.Optional<String> implicitIdempotencyKey(ApiRequest request) {
        return request.header(SIGNATURE).map(String::trim).filter(s -> !s.isEmpty()).map(s -> "signature:" + s);
    }

    private static ProblemException unauthorized(String code, String message) {
        return Problems.unauthorized(code, message);
    }

    private static ProblemException forbidden(String code, String message) {
        return Problems.forbidden(code, message);
    }
}
