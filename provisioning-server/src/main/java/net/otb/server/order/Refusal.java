package net.otb.server.order;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Why a request of the order system is refused. The kind tells the HTTP edge which status to answer;
 * the reason is written for the person reading the order system's logs.
 *
 * @param kind what sort of refusal this is
 * @param code a stable machine-readable name, e.g. {@code contracts-not-accepted} (the problem type's last segment)
 * @param reason one clear sentence
 * @param fields the offending fields, one reason each (empty when the refusal is not about fields)
 * @param extensions further members for the order system, e.g. {@code missingContracts}
 */
public record Refusal(Kind kind, String code, String reason, List<FieldError> fields, Map<String, Object> extensions) {

    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9-]{1,63}");

    /** The sort of refusal, each with its HTTP status. */
    public enum Kind {
        /** The resource named in the path does not exist: 404. */
        NOT_FOUND(404),
        /** The request breaks a rule of the offer change in the current state: 409. */
        CONFLICT(409),
        /** The request itself is malformed or a field is invalid: 400. */
        INVALID(400);

        private final int httpStatus;

        Kind(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    /** A field and what is wrong with it. */
    public record FieldError(String field, String detail) {
        public FieldError {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(detail, "detail");
        }
    }

    public Refusal {
        Objects.requireNonNull(kind, "kind");
        if (code == null || !CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("a refusal code is lower-case words joined by '-', got " + code);
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a refusal needs a reason");
        }
        fields = fields == null ? List.of() : List.copyOf(fields);
        extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
    }

    public static Refusal notFound(String code, String reason) {
        return new Refusal(Kind.NOT_FOUND, code, reason, List.of(), Map.of());
    }

    public static Refusal conflict(String code, String reason) {
        return new Refusal(Kind.CONFLICT, code, reason, List.of(), Map.of());
    }

    public static Refusal invalid(String code, String reason) {
        return new Refusal(Kind.INVALID, code, reason, List.of(), Map.of());
    }

    /** This refusal with one more extension member. */
    public Refusal with(String name, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(extensions);
        more.put(name, value);
        return new Refusal(kind, code, reason, fields, more);
    }

    /** An invalid request listing every bad field; the reason joins their details. */
    public static Refusal invalidFields(List<FieldError> fields) {
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("invalidFields needs at least one field");
        }
        StringBuilder reason = new StringBuilder();
        for (FieldError error : fields) {
            if (reason.length() > 0) {
                reason.append("; ");
            }
            reason.append(error.field()).append(": ").append(error.detail());
        }
        return new Refusal(Kind.INVALID, "invalid-fields", reason.toString(), fields, Map.of());
    }
}
