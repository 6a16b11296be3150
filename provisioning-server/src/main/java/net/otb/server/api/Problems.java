package net.otb.server.api;

import java.util.Set;
import net.otb.server.desired.DesiredStateException;

/** The problems every route may answer; domain code makes its own with {@link ProblemException}. */
public final class Problems {

    static final Set<String> RESERVED = Set.of("type", "title", "status", "detail", "instance", "message");

    private Problems() {
    }

    /** 400: the request is malformed (JSON, a field, a parameter). */
    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "bad-request", "Bad request", detail);
    }

    /** 400 naming the field that fails its check. */
    public static ProblemException invalidField(String field, String detail) {
        return new ProblemException(400, "invalid-field", "Invalid field", detail).with("field", field);
    }

    /** 401: who sent the request is not proven (no or a bad signature, an old timestamp, a replay); OVH's error code. */
    public static ProblemException unauthorized(String errorCode, String detail) {
        return new ProblemException(401, "unauthorized", "Unauthorized", detail).with("errorCode", errorCode);
    }

    /** 403: a known caller that may not do this (unknown key, a call its rules do not grant); OVH's error code. */
    public static ProblemException forbidden(String errorCode, String detail) {
        return new ProblemException(403, "forbidden", "Forbidden", detail).with("errorCode", errorCode);
    }

    /** 404: the thing named in the path does not exist. */
    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "not-found", "Not found", detail);
    }

    /** 409: a rule forbids this change now. */
    public static ProblemException conflict(String slug, String title, String detail) {
        return new ProblemException(409, slug, title, detail);
    }

    /** 422: the Idempotency-Key was used for another request. */
    public static ProblemException idempotencyKeyReused(String detail) {
        return new ProblemException(422, "idempotency-key-reused", "Idempotency key reused", detail);
    }

    /** The problem for a change the desired-state engine refused: 404, 400 or 409 by reason. */
    public static ProblemException of(DesiredStateException e) {
        return switch (e.reason()) {
            case UNKNOWN_SERVICE -> new ProblemException(404, "unknown-service", "Unknown service", e.getMessage());
            case UNKNOWN_DEVICE -> new ProblemException(404, "unknown-device", "Unknown device", e.getMessage());
            case UNKNOWN_OFFER -> new ProblemException(400, "unknown-offer", "Unknown offer", e.getMessage());
            case UNKNOWN_MODEL -> new ProblemException(400, "unknown-model", "Unknown device model", e.getMessage());
            case INVALID -> badRequest(e.getMessage());
            case ALREADY_EXISTS -> conflict("already-exists", "Already exists", e.getMessage());
            case IP_TAKEN -> conflict("service-ip-taken", "Service IP taken", e.getMessage());
            case DEVICE_UNAVAILABLE -> conflict("device-unavailable", "Device unavailable", e.getMessage());
        };
    }

    static ProblemException routeNotFound(String path) {
        return new ProblemException(404, "route-not-found", "Not found", "no route for " + path);
    }

    static ProblemException methodNotAllowed(String method, String path) {
        return new ProblemException(405, "method-not-allowed", "Method not allowed",
                method + " is not allowed on " + path);
    }

    static ProblemException tooLarge(int limit) {
        return new ProblemException(413, "body-too-large", "Request body too large",
                "the request body is larger than " + limit + " bytes");
    }

    static ProblemException unsupportedMediaType(String contentType) {
        return new ProblemException(415, "unsupported-media-type", "Unsupported media type",
                "the body must be application/json, got " + (contentType == null ? "no Content-Type" : contentType));
    }

    static ProblemException overloaded() {
        return new ProblemException(503, "overloaded", "Service unavailable", "the server is busy; retry shortly");
    }

    static ProblemException storeUnavailable(String detail) {
        return new ProblemException(503, "store-unavailable", "Service unavailable", detail);
    }

    static ProblemException internal() {
        return new ProblemException(500, "internal", "Internal error", "the server failed; the request changed nothing");
    }
}
