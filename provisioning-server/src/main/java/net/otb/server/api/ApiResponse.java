package net.otb.server.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A handler's answer: a status, a body (serialized as JSON unless it is text) and extra headers.
 *
 * @param status the HTTP status
 * @param body a value Jackson can write, a {@link String} when {@code contentType} is not JSON, or null
 * @param contentType the media type of the body
 * @param headers extra headers, e.g. {@code Location}
 */
public record ApiResponse(int status, Object body, String contentType, Map<String, String> headers) {

    public static final String JSON = "application/json";
    public static final String PROBLEM_JSON = "application/problem+json";

    public ApiResponse {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status, got " + status);
        }
        headers = Map.copyOf(headers);
    }

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, body, JSON, Map.of());
    }

    public static ApiResponse created(Object body, String location) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (location != null) {
            headers.put("Location", location);
        }
        return new ApiResponse(201, body, JSON, headers);
    }

    public static ApiResponse json(int status, Object body) {
        return new ApiResponse(status, body, JSON, Map.of());
    }

    public static ApiResponse text(int status, String contentType, String body) {
        return new ApiResponse(status, body, contentType, Map.of());
    }

    public static ApiResponse problem(ProblemException problem) {
        Map<String, String> headers = Map.of();
        return new ApiResponse(problem.status(), problem.body(), PROBLEM_JSON, headers);
    }

    public ApiResponse withHeader(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return new ApiResponse(status, body, contentType, copy);
    }
}
