package net.otb.server.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Set;

/**
 * One access rule of a consumer key, in OVH's form: an HTTP method and a path under {@code /1.0} where
 * {@code *} stands for any run of characters ({@code /me/order/*} grants every order's sub-routes).
 *
 * @param method {@code GET}, {@code POST}, {@code PUT} or {@code DELETE} ({@code HEAD} is granted with {@code GET})
 * @param path starts with {@code /}, relative to the API's base path {@code /1.0}
 */
public record AccessRule(String method, String path) {

    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE");

    @JsonCreator
    public AccessRule(@JsonProperty("method") String method, @JsonProperty("path") String path) {
        if (method == null || !METHODS.contains(method)) {
            throw new IllegalArgumentException("a rule's method is one of " + METHODS + ", got " + method);
        }
        if (path == null || !path.startsWith("/") || path.length() > 512) {
            throw new IllegalArgumentException("a rule's path starts with '/' (at most 512 characters), got " + path);
        }
        this.method = method;
        this.path = path;
    }

    /** Whether the rule grants {@code requestMethod} on {@code apiPath} (the path without {@code /1.0}). */
    public boolean grants(String requestMethod, String apiPath) {
        String m = requestMethod.equals("HEAD") ? "GET" : requestMethod;
        return method.equals(m) && glob(path, 0, apiPath, 0);
    }

    private static boolean glob(String pattern, int p, String text, int t) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                // '*' is the last character in every rule we make; the loop keeps an inner '*' correct too
                for (int k = text.length(); k >= t; k--) {
                    if (glob(pattern, p + 1, text, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (t >= text.length() || text.charAt(t) != c) {
                return false;
            }
            p++;
            t++;
        }
        return t == text.length();
    }
}
