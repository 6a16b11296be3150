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

/** A small JSON-over-HTTP client for tests. Thread-safe. */
public final class Http {

    /** An answer: status, body as JSON (or null when not JSON), content type, replay flag. */
    public record Answer(int status, JsonNode json, String body, String contentType, boolean replayed, String allow) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile int port;

    public Http(int port) {
        this.port = port;
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
        return send(builder, idempotencyKey);
    }

    public Answer send(HttpRequest.Builder builder, String idempotencyKey) throws IOException, InterruptedException {
        if (idempotencyKey != null) {
            builder.header("Idempotency-Key", idempotencyKey);
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
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
