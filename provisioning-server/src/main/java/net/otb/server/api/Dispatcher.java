package net.otb.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.otb.protocol.LogSafe;
import net.otb.server.auth.ApiCaller;
import net.otb.server.auth.Authenticator;
import net.otb.server.desired.DesiredStateException;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import net.otb.server.store.StoreException;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a matched route on a worker thread: opens the transaction, applies the idempotency rule, calls
 * the handler and renders its answer, or the problem it threw. No Netty type here, so tests drive it
 * without a socket.
 */
public final class Dispatcher {

    /** A response ready for the wire. */
    public record Rendered(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final Database database;
    private final Metrics metrics;
    private final Authenticator authenticator;

    /** A dispatcher that checks no signature (tests of the routing alone). */
    public Dispatcher(Database database, Metrics metrics) {
        this(database, metrics, null);
    }

    /**
     * @param authenticator checks the signature and the rules of every route but the public ones
     *        ({@link Authenticator#isPublic}); null checks none
     */
    public Dispatcher(Database database, Metrics metrics, Authenticator authenticator) {
        this.database = database;
        this.metrics = metrics;
        this.authenticator = authenticator;
    }

    public Rendered dispatch(Router.Route route, ApiRequest request) {
        Rendered rendered;
        try {
            ApiCaller caller = authenticator == null || Authenticator.isPublic(route) ? null
                    : authenticator.authenticate(request);
            Tx.Principal principal = caller == null ? null : new Tx.Principal(caller.applicationKey(), caller.consumerId(),
                    caller.role(), AdminApi.label(request));
            if (route.plain() != null) {
                rendered = render(route.plain().handle(request));
            } else {
                Optional<String> key = !route.stateChanging() ? Optional.<String>empty()
                        : caller == null ? request.idempotencyKey()
                        : request.idempotencyKey().or(() -> Authenticator.implicitIdempotencyKey(request));
                Long scope = caller == null ? null : caller.consumerId();
                rendered = database.inTransaction(tx -> {
                    tx.principal(principal);
                    if (key.isPresent()) {
                        Optional<Idempotency.Stored> stored = Idempotency.claim(tx, scope, key.get(), request);
                        if (stored.isPresent()) {
                            Idempotency.Stored s = stored.get();
                            return new Rendered(s.status(), s.contentType(), s.body().getBytes(StandardCharsets.UTF_8),
                                    Idempotency.replayHeaders());
                        }
                    }
                    Rendered answer = render(route.handler().handle(request, tx));
                    if (key.isPresent()) {
                        Idempotency.complete(tx, scope, key.get(), answer.status(), answer.contentType(),
                                new String(answer.body(), StandardCharsets.UTF_8));
                    }
                    return answer;
                });
            }
        } catch (ProblemException problem) {
            rendered = problem(problem);
        } catch (DesiredStateException e) {
            rendered = problem(Problems.of(e));
        } catch (StoreException e) {
            LOG.warn("{} {} from {}: store failure: {}", request.method(), LogSafe.quote(request.target()),
                    request.remoteAddress(), LogSafe.quote(e.getMessage()));
            rendered = problem(Problems.storeUnavailable("the database is unavailable; the request changed nothing"));
        } catch (RuntimeException e) {
            LOG.warn("{} {} from {}: handler failed: {}", request.method(), LogSafe.quote(request.target()),
                    request.remoteAddress(), LogSafe.escape(e));
            LOG.debug("the handler's failure", e);
            rendered = problem(Problems.internal());
        }
        metrics.httpRequest(route.method(), route.template(), rendered.status());
        return rendered;
    }

    /** The route label under which requests refused before routing are counted in {@code otb_http_requests_total}. */
    public static final String UNROUTED = "(unrouted)";

    private static final java.util.Set<String> KNOWN_METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT",
            "DELETE", "PATCH", "OPTIONS");

    /**
     * Counts a request the HTTP handler refused before any route ran (a malformed target, no route, 405, 415):
     * anyone can send those, so they are a metric, not a log line each.
     */
    void unrouted(String method, int status) {
        // a peer picks the method: an unknown one is OTHER, so it cannot grow the metric's series without bound
        metrics.httpRequest(KNOWN_METHODS.contains(method) ? method : "OTHER", UNROUTED, status);
    }

    /** Renders a problem as problem+json. */
    public static Rendered problem(ProblemException problem) {
        return render(ApiResponse.problem(problem));
    }

    static Rendered render(ApiResponse response) {
        byte[] body;
        if (response.body() == null) {
            body = new byte[0];
        } else if (response.body() instanceof String text && !response.contentType().contains("json")) {
            body = text.getBytes(StandardCharsets.UTF_8);
        } else if (response.body() instanceof byte[] bytes) {
            body = bytes;
        } else {
            try {
                body = ApiJson.mapper().writeValueAsBytes(response.body());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write the response body as JSON", e);
            }
        }
        return new Rendered(response.status(), response.contentType(), body, new LinkedHashMap<>(response.headers()));
    }
}
