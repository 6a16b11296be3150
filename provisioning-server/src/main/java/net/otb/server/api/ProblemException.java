package net.otb.server.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal answered as {@code application/problem+json} (RFC 9457): {@code type}, {@code title},
 * {@code status}, {@code detail}, OVH's {@code message} (the same text: OVH's clients read that member), and
 * extension members such as {@code missingContracts}. Thrown by a
 * handler, it rolls the handler's transaction back: nothing is half-done.
 */
public final class ProblemException extends RuntimeException {

    /** The base of every problem type URI. */
    public static final String TYPE_BASE = "https://otb.example/problems/";

    private final int status;
    private final String type;
    private final String title;
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    /**
     * @param status the HTTP status, 400..599
     * @param slug the problem type, appended to {@link #TYPE_BASE}, e.g. {@code service-not-active}
     * @param title a short, fixed summary of the problem type
     * @param detail what went wrong with this request, for a human
     */
    public ProblemException(int status, String slug, String title, String detail) {
        super(detail, null, false, false);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("a problem's status is 4xx or 5xx, got " + status);
        }
        this.status = status;
        this.type = TYPE_BASE + slug;
        this.title = title;
    }

    /** Adds an extension member, e.g. {@code with("missingContracts", List.of(...))}. */
    public ProblemException with(String name, Object value) {
        if (Problems.RESERVED.contains(name)) {
            throw new IllegalArgumentException(name + " is a standard problem member");
        }
        extensions.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    public Map<String, Object> extensions() {
        return Collections.unmodifiableMap(extensions);
    }

    /** The problem document, members in RFC order then the extensions. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", getMessage());
        body.put("message", getMessage());
        body.putAll(extensions);
        return body;
    }
}
