package net.otb.server.api;

import net.otb.protocol.logging.LogFields;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
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
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    private final AtomicLong requests = new AtomicLong();

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
        long started = System.nanoTime();
        String requestId = requestId(request);
        Rendered rendered;
        ApiCaller caller = null;
        ProblemException refusal = null;
        try {
            caller = authenticator == null || Authenticator.isPublic(route) ? null
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
            refusal = problem;
            rendered = problem(problem);
        } catch (DesiredStateException e) {
            refusal = Problems.of(e);
            rendered = problem(refusal);
        } catch (StoreException e) {
            LOG.warn("event=api.store_failure method={} route={} peer={} request={} error={}", request.method(),
                    LogFields.value(route.template()), LogFields.value(request.remoteAddress()), requestId,
                    LogFields.value(e.getMessage()));
            rendered = problem(Problems.storeUnavailable("the database is unavailable; the request changed nothing"));
        } catch (RuntimeException e) {
            LOG.warn("event=api.failure method={} route={} peer={} request={}", request.method(),
                    LogFields.value(route.template()), LogFields.value(request.remoteAddress()), requestId, e);
            rendered = problem(Problems.internal());
        }
        metrics.httpRequest(route.method(), route.template(), rendered.status());
        logRequest(route, request, requestId, caller, refusal, rendered.status(), started);
        return rendered;
    }

    /**
     * One line per API call (docs/operations.md#logs): at info for a call that changes state, a refused signature or
     * grant (401, 403) and a server failure (5xx); reads that succeed or fail on their input at debug.
     */
    private static void logRequest(Router.Route route, ApiRequest request, String requestId, ApiCaller caller,
                                   ProblemException refusal, int status, long started) {
        boolean info = route.stateChanging() || status == 401 || status == 403 || status >= 500;
        if (info ? !LOG.isInfoEnabled() : !LOG.isDebugEnabled()) {
            return;
        }
        String event = status == 401 || status == 403 ? "api.refused" : "api.request";
        String problem = refusal == null ? "-" : LogFields.value(refusal.type().startsWith(ProblemException.TYPE_BASE)
                ? refusal.type().substring(ProblemException.TYPE_BASE.length()) : refusal.type());
        String app = caller != null ? caller.applicationKey() : request.header(Authenticator.APPLICATION).orElse(null);
        String line = "event=" + event + " method=" + request.method() + " route=" + LogFields.value(route.template())
                + " path=" + LogFields.value(request.rawPath()) + " status=" + status + " problem=" + problem
                + " role=" + LogFields.value(caller == null ? null : caller.role()) + " app=" + LogFields.value(app)
                + " peer=" + LogFields.value(request.remoteAddress()) + " request=" + requestId
                + " idempotencyKey=" + LogFields.value(request.idempotencyKey().orElse(null))
                + " ms=" + (System.nanoTime() - started) / 1_000_000;
        if (info) {
            LOG.info(line);
        } else {
            LOG.debug(line);
        }
    }

    /** The caller's {@code X-Request-Id} when it is a plain token, else one of ours ({@code r-} and a number). */
    private String requestId(ApiRequest request) {
        Optional<String> given = request.header("x-request-id");
        if (given.isPresent() && REQUEST_ID.matcher(given.get()).matches()) {
            return given.get();
        }
        return "r-" + Long.toHexString(requests.incrementAndGet());
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
