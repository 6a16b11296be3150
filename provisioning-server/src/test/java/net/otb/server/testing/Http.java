package net.otb.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import net.otb.server.auth.ApiSigner;

/**
 * A small JSON-over-HTTPS client for tests: trusts the test's CA and signs every {@code /1.0} request as OVH's
 * clients do, with the first of its credentials whose rules grant the call (none: the request goes unsigned).
 * Thread-safe.
 */
public final class Http {

    /** An answer: status, body as JSON (or null when not JSON), content type, replay flag. */
    public record Answer(int status, JsonNode json, String body, String contentType, boolean replayed, String allow) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private volatile int port;
    private volatile ApiSigner signer;

    /**
     * @param trust the TLS context trusting the server's CA
     * @param signer signs the requests; null sends them unsigned (until {@link #signer(ApiSigner)})
     */
    public Http(int port, SSLContext trust, ApiSigner signer) {
        this.port = port;
        this.signer = signer;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(trust).build();
    }

    /** A client to the same server with other credentials (e.g. another role's, to see a refusal). */
    public Http as(ApiSigner other) {
        return new Http(port, client.sslContext(), other);
    }

    /** The same server, every request unsigned. */
    public Http unsigned() {
        return new Http(port, client.sslContext(), null);
    }

    public void signer(ApiSigner value) {
        this.signer = value;
    }

    public ApiSigner signer() {
        return signer;
    }

    public void port(int newPort) {
        this.port = newPort;
    }

    public Answer get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET(), null);
    }

    public Answer post(String path, String json) throws IOException, InterruptedException {
        return post(path, json, null);
    }

    public Answer post(String path, String json, String idempotencyKey) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path))
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            builder.header("Content-Type", "application/json");
        }
        return send(builder, idempotencyKey, json);
    }

    /** Sends a request without a body (signed when the signer has a credential for it). */
    public Answer send(HttpRequest.Builder builder, String idempotencyKey) throws IOException, InterruptedException {
        return send(builder, idempotencyKey, null);
    }

    /** Sends a request whose body is {@code body} (as the builder's publisher sends it), signed over that body. */
    public Answer send(HttpRequest.Builder builder, String idempotencyKey, String body)
            throws IOException, InterruptedException {
        if (idempotencyKey != null) {
            builder.header("Idempotency-Key", idempotencyKey);
        }
        ApiSigner current = signer;
        if (current != null) {
            HttpRequest peek = builder.copy().build();
            current.sign(peek.method(), peek.uri(), body == null ? "" : body)
                    .ifPresent(h -> builder.headers(h.asArray()));
        }
        HttpResponse<String> response = client.send(builder.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        String type = response.headers().firstValue("content-type").orElse("");
        JsonNode json = type.contains("json") && !response.body().isEmpty() ? JSON.readTree(response.body()) : null;
        Optional<String> replayed = response.headers().firstValue("idempotent-replayed");
        return new Answer(response.statusCode(), json, response.body(), type, replayed.isPresent(),
                response.headers().firstValue("allow").orElse(null));
    }

    /** The response headers of a GET (for headers {@link Answer} does not carry). */
    public java.net.http.HttpHeaders headers(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).headers();
    }

    public URI uri(String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }
}
