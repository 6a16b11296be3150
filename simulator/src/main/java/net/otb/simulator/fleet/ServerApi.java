package net.otb.simulator.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import net.otb.server.auth.ApiSigner;

/**
 * The simulator's client of the provisioning server's HTTP API (admin and order-system routes): JSON in,
 * JSON out, a problem document turned into an {@link ApiException} that carries its {@code detail}.
 * Every state-changing POST carries an {@code Idempotency-Key}, as an order system would; every call goes over
 * HTTPS, signed as OVH's clients sign, with the credential of the role the call needs. Thread-safe.
 */
public final class ServerApi {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;
    private final ApiSigner signer;

    public ServerApi(ApiAccess access, Duration timeout) {
        this.base = access.base();
        this.timeout = timeout;
        this.signer = access.signer();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .sslContext(access.trust()).build();
    }

    /**
     * The server's clock minus ours, from {@code GET /1.0/auth/time} (unsigned), as OVH's clients correct their
     * timestamps before they sign.
     */
    public static Duration timeDrift(URI base, javax.net.ssl.SSLContext trust, Duration timeout)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).sslContext(trust).build();
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(base.resolve("/1.0/auth/time"))
                .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("GET /1.0/auth/time → " + answer.statusCode());
        }
        return Duration.ofSeconds(Long.parseLong(answer.body().trim()) - java.time.Instant.now().getEpochSecond());
    }

    public URI base() {
        return base;
    }

    /** A JSON object of the given field pairs (name, value, name, value…), for request bodies. */
    public static Map<String, Object> body(Object... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("body takes name, value pairs");
        }
        Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                map.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return map;
    }

    /** A query string from pairs, skipping null values: {@code ?a=1&b=2}. */
    public static String query(String... pairs) {
        StringJoiner joiner = new StringJoiner("&", "?", "");
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                joiner.add(pairs[i] + "=" + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
            }
        }
        return joiner.toString();
    }

    /**
     * GETs {@code path}.
     *
     * @throws ApiException on an error status, with the problem's detail
     * @throws IOException when the server cannot be reached
     */
    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).GET();
        signer.sign("GET", base.resolve(path), "").ifPresent(h -> builder.headers(h.asArray()));
        return send(builder.build());
    }

    /**
     * POSTs {@code body} as JSON with a fresh idempotency key.
     *
     * @throws ApiException on an error status, with the problem's detail
     * @throws IOException when the server cannot be reached
     */
    public JsonNode post(String path, Object body) throws IOException, InterruptedException {
        return send(postRequest(path, body));
    }

    /**
     * POSTs {@code body} with the given idempotency key: an order system retrying a request whose answer it never
     * got sends the same key again, and must get the first answer rather than a second order.
     *
     * @throws ApiException on an error status, with the problem's detail
     * @throws IOException when the server cannot be reached
     */
    public JsonNode post(String path, Object body, String idempotencyKey) throws IOException, InterruptedException {
        return send(postRequest(path, body, idempotencyKey));
    }

    /** The same POST, without waiting: the fleet fires thousands at once. */
    public CompletableFuture<JsonNode> postAsync(String path, Object body) {
        HttpRequest request;
        try {
            request = postRequest(path, body);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> parse(request, response));
    }

    private HttpRequest postRequest(String path, Object body) throws JsonProcessingException {
        return postRequest(path, body, UUID.randomUUID().toString());
    }

    private HttpRequest postRequest(String path, Object body, String idempotencyKey) throws JsonProcessingException {
        byte[] bytes = JSON.writeValueAsBytes(body == null ? Map.of() : body);
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        signer.sign("POST", base.resolve(path), new String(bytes, StandardCharsets.UTF_8))
                .ifPresent(h -> builder.headers(h.asArray()));
        return builder.build();
    }

    private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
        return parse(request, http.send(request, HttpResponse.BodyHandlers.ofString()));
    }

    private static JsonNode parse(HttpRequest request, HttpResponse<String> response) {
        JsonNode node;
        try {
            node = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            node = JSON.getNodeFactory().textNode(response.body());
        }
        if (response.statusCode() >= 400) {
            String detail = node.path("detail").asText(node.path("message").asText(node.path("title")
                    .asText(response.body())));
            throw new ApiException(request.method() + " " + request.uri().getPath(), response.statusCode(), detail,
                    node);
        }
        return node;
    }

    /** The server answered an error status. */
    public static final class ApiException extends RuntimeException {

        private final int status;
        private final transient JsonNode problem;

        public ApiException(String call, int status, String detail, JsonNode problem) {
            super(call + " → " + status + ": " + detail);
            this.status = status;
            this.problem = problem;
        }

        public int status() {
            return status;
        }

        public JsonNode problem() {
            return problem;
        }
    }
}
