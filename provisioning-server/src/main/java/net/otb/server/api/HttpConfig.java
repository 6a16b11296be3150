package net.otb.server.api;

/**
 * The HTTP API's settings.
 *
 * @param host the address to bind (loopback by default)
 * @param port the HTTP port, 0 for any free port
 * @param maxBodyBytes a larger request body is answered 413
 * @param workers threads running handlers (they hold a database connection while they run)
 * @param queue requests waiting for a worker; more are answered 503
 */
public record HttpConfig(String host, int port, int maxBodyBytes, int workers, int queue) {

    public HttpConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("http host is required");
        }
        check(port, 0, 65_535, "http port");
        check(maxBodyBytes, 1, 16 * 1024 * 1024, "maxBodyBytes");
        check(workers, 1, 256, "http workers");
        check(queue, 1, 100_000, "http queue");
    }

    /** Loopback, port 8080, 64 KiB bodies, 8 workers, 512 queued requests. */
    public static HttpConfig defaults() {
        return new HttpConfig("127.0.0.1", 8080, 65_536, 8, 512);
    }

    public HttpConfig withPort(int newPort) {
        return new HttpConfig(host, newPort, maxBodyBytes, workers, queue);
    }

    public HttpConfig withHost(String newHost) {
        return new HttpConfig(newHost, port, maxBodyBytes, workers, queue);
    }

    public HttpConfig withMaxBodyBytes(int bytes) {
        return new HttpConfig(host, port, bytes, workers, queue);
    }

    private static void check(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}
