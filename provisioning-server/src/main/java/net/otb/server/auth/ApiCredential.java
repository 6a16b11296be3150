package net.otb.server.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a caller needs to sign requests: an application (key and secret) and a consumer key of one role with its
 * rules. Shown once when created (the store keeps the secret sealed and only a hash of the consumer key); the
 * JSON form is what {@code otb-server create-credential --output} writes and the simulator reads.
 *
 * @param applicationKey {@code X-Ovh-Application}
 * @param applicationSecret signs, never sent
 * @param consumerKey {@code X-Ovh-Consumer}
 * @param role the role the consumer key was created for
 * @param rules what it grants
 */
public record ApiCredential(String applicationKey, String applicationSecret, String consumerKey, String role,
                            List<AccessRule> rules) {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @JsonCreator
    public ApiCredential(@JsonProperty("applicationKey") String applicationKey,
                         @JsonProperty("applicationSecret") String applicationSecret,
                         @JsonProperty("consumerKey") String consumerKey, @JsonProperty("role") String role,
                         @JsonProperty("rules") List<AccessRule> rules) {
        if (blank(applicationKey) || blank(applicationSecret) || blank(consumerKey)) {
            throw new IllegalArgumentException("a credential has an application key, its secret and a consumer key");
        }
        this.applicationKey = applicationKey;
        this.applicationSecret = applicationSecret;
        this.consumerKey = consumerKey;
        this.role = role;
        this.rules = rules == null ? List.of() : List.copyOf(rules);
    }

    /** Whether this credential's rules grant {@code method} on {@code path} ({@code /1.0/...}). */
    public boolean grants(String method, String path) {
        String apiPath = path.startsWith(Authenticator.BASE_PATH + "/") ? path.substring(Authenticator.BASE_PATH.length())
                : path;
        return rules.stream().anyMatch(r -> r.grants(method, apiPath));
    }

    /** Signs a request: the four {@code X-Ovh-*} headers' values. */
    public SignedHeaders sign(String method, String fullUrl, String body, long timestamp) {
        return new SignedHeaders(applicationKey, consumerKey, Long.toString(timestamp),
                OvhSignature.sign(applicationSecret, consumerKey, method, fullUrl, body == null ? "" : body, timestamp));
    }

    /** The headers of a signed request. */
    public record SignedHeaders(String application, String consumer, String timestamp, String signature) {
        /** Name, value, name, value… as {@code java.net.http.HttpRequest.Builder#headers} takes them. */
        public String[] asArray() {
            return new String[] {Authenticator.APPLICATION, application, Authenticator.CONSUMER, consumer,
                    Authenticator.TIMESTAMP, timestamp, Authenticator.SIGNATURE, signature};
        }
    }

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException("a credential is plain JSON", e);
        }
    }

    /** Reads a file of one credential, or of an array of them. */
    public static List<ApiCredential> read(Path file) throws IOException {
        var tree = JSON.readTree(file.toFile());
        if (tree.isArray()) {
            return List.of(JSON.treeToValue(tree, ApiCredential[].class));
        }
        return List.of(JSON.treeToValue(tree, ApiCredential.class));
    }

    /** Writes a list of credentials as a JSON array (the simulator's credentials file). */
    public static String toJson(List<ApiCredential> credentials) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(credentials);
        } catch (IOException e) {
            throw new IllegalStateException("credentials are plain JSON", e);
        }
    }

    @Override
    public String toString() {
        return "ApiCredential[" + applicationKey + ", role " + role + "]";
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
