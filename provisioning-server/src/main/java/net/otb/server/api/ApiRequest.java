package net.otb.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP request as a handler sees it: the matched path parameters, the query, the headers and the
 * body, already read in full. Body and parameter readers throw {@link ProblemException} 400s with a
 * detail naming what is wrong, so a handler never parses by hand. Immutable.
 *
 * @param method upper-case, e.g. {@code POST}
 * @param path the decoded path, without the query
 * @param pathParams the values of the route's {@code {name}} segments
 * @param queryParams every query parameter's values
 * @param headers header values by lower-case name (the first value of a repeated header)
 * @param body the raw body, empty when there is none
 * @param remoteAddress the client's address, for logs
 * @param target the request target as sent (raw path and query), which signatures cover
 */
public record ApiRequest(String method, String path, Map<String, String> pathParams,
                         Map<String, List<String>> queryParams, Map<String, String> headers, byte[] body,
                         String remoteAddress, String target) {

    public static final String IDEMPOTENCY_KEY = "idempotency-key";

    public ApiRequest {
        pathParams = Map.copyOf(pathParams);
        queryParams = Map.copyOf(queryParams);
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
        target = target == null ? path : target;
    }

    /** The raw path of {@link #target()}, without the query. */
    public String rawPath() {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }

    /** The body as UTF-8 text, as a signature covers it. */
    public String bodyText() {
        return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A path parameter the route template declares. */
    public String pathParam(String name) {
        String value = pathParams.get(name);
        if (value == null) {
            throw new IllegalArgumentException("the route declares no {" + name + "}");
        }
        return value;
    }

    /** The first value of a query parameter, when present and not empty. */
    public Optional<String> query(String name) {
        List<String> values = queryParams.get(name);
        if (values == null || values.isEmpty() || values.get(0).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(values.get(0));
    }

    /**
     * A required query parameter.
     *
     * @throws ProblemException 400 when it is missing
     */
    public String requiredQuery(String name) {
        return query(name).orElseThrow(() -> Problems.invalidField(name, "the query parameter " + name + " is required"));
    }

    /** An integer query parameter within bounds, or {@code defaultValue}. */
    public int intQuery(String name, int defaultValue, int min, int max) {
        Optional<String> value = query(name);
        if (value.isEmpty()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.get());
            if (parsed < min || parsed > max) {
                throw Problems.invalidField(name, name + " must be between " + min + " and " + max);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw Problems.invalidField(name, name + " must be an integer, got " + value.get());
        }
    }

    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    public Optional<String> idempotencyKey() {
        return header(IDEMPOTENCY_KEY);
    }

    public boolean hasBody() {
        return body.length > 0;
    }

    /**
     * The body as a JSON tree.
     *
     * @throws ProblemException 400 when the body is missing or is not JSON
     */
    public JsonNode json() {
        if (!hasBody()) {
            throw Problems.badRequest("a JSON body is required");
        }
        try {
            JsonNode node = ApiJson.mapper().readTree(body);
            if (node == null || node.isMissingNode()) {
                throw Problems.badRequest("a JSON body is required");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw Problems.badRequest("malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw Problems.badRequest("unreadable body: " + firstLine(e.getMessage()));
        }
    }

    /**
     * The body mapped to {@code type} (typically a record that validates in its constructor).
     *
     * @throws ProblemException 400 naming the field when the body is missing, malformed or invalid
     */
    public <T> T body(Class<T> type) {
        return read(type, false);
    }

    /**
     * {@link #body} that refuses a field {@code type} does not have (400 naming it), for bodies where a misspelt
     * field silently replaced by its default would change what is done (the admin bodies).
     */
    public <T> T strictBody(Class<T> type) {
        return read(type, true);
    }

    private <T> T read(Class<T> type, boolean strict) {
        if (!hasBody()) {
            throw Problems.badRequest("a JSON body is required");
        }
        try {
            com.fasterxml.jackson.databind.ObjectReader reader = ApiJson.mapper().readerFor(type);
            if (strict && type.isRecord()) {
                // before the mapping: a record validates in its constructor, which Jackson runs before it looks at
                // the fields it did not use, so a misspelt required field would read "x is required"
                JsonNode tree = ApiJson.mapper().readTree(body);
                if (tree != null && tree.isObject()) {
                    java.util.Set<String> known = new java.util.TreeSet<>();
                    for (java.lang.reflect.RecordComponent component : type.getRecordComponents()) {
                        known.add(component.getName());
                    }
                    for (java.util.Iterator<String> names = tree.fieldNames(); names.hasNext(); ) {
                        String name = names.next();
                        if (!known.contains(name)) {
                            throw Problems.invalidField(name, "unknown field " + name + "; the fields are "
                                    + String.join(", ", known));
                        }
                    }
                }
            }
            if (strict) {
                reader = reader.with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
            }
            T value = reader.readValue(body);
            if (value == null) {
                throw Problems.badRequest("a JSON object is required, got null");
            }
            return value;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw Problems.badRequest("invalid body: " + firstLine(cause.getMessage()));
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            String field = fieldPath(e);
            List<String> known = e.getKnownPropertyIds() == null ? List.of()
                    : e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
            throw Problems.invalidField(field, "unknown field " + field + (known.isEmpty() ? ""
                    : "; the fields are " + String.join(", ", known)));
        } catch (MismatchedInputException e) {
            // InvalidFormatException too; said in the API's words, never Jackson's (its message names Java types)
            String field = fieldPath(e);
            throw field.isEmpty()
                    ? Problems.badRequest("the body must be a JSON object" + got(e))
                    : Problems.invalidField(field, field + " must be " + expected(e.getTargetType()) + got(e));
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            // a value the field's type cannot take (a time that is not one): name the field and the form it expects
            String field = fieldPath(e);
            if (field.isEmpty()) {
                throw Problems.badRequest("malformed JSON: " + firstLine(e.getOriginalMessage()));
            }
            boolean time = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                time |= t instanceof java.time.DateTimeException;
            }
            throw Problems.invalidField(field, "invalid value for " + field + ": " + firstLine(e.getOriginalMessage())
                    + (time ? "; expected an ISO-8601 instant, e.g. 2026-06-01T10:00:00Z" : ""));
        } catch (JsonProcessingException e) {
            throw Problems.badRequest("malformed JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw Problems.badRequest("unreadable body: " + firstLine(e.getMessage()));
        }
    }

    /** What a field of this Java type must be, in JSON's terms. */
    static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == long.class || type == Long.class || type == int.class || type == Integer.class
                || type == short.class || type == Short.class || type == java.math.BigInteger.class) {
            return "an integer (a JSON number without quotes, e.g. 3999)";
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class
                || type == java.math.BigDecimal.class) {
            return "a number (a JSON number without quotes)";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false (a JSON boolean without quotes)";
        }
        if (CharSequence.class.isAssignableFrom(type)) {
            return "a string (in double quotes)";
        }
        if (type == java.time.Instant.class) {
            return "an ISO-8601 instant string, e.g. \"2026-12-08T10:00:00Z\"";
        }
        if (type == java.time.LocalDate.class) {
            return "an ISO-8601 date string, e.g. \"2026-12-08\"";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString).toList();
        }
        if (type.isArray() || java.util.Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "a JSON object";
    }

    /** What was sent instead, as JSON calls it ({@code , got a string}), read from the body at the failing path. */
    private String got(MismatchedInputException e) {
        JsonNode node;
        try {
            node = ApiJson.mapper().readTree(body);
        } catch (IOException notJson) {
            return "";
        }
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            if (node == null) {
                return "";
            }
            node = ref.getFieldName() != null ? node.get(ref.getFieldName()) : node.get(ref.getIndex());
        }
        if (node == null) {
            return "";
        }
        return switch (node.getNodeType()) {
            case STRING -> ", got a string";
            case NUMBER -> node.isIntegralNumber() ? ", got an integer" : ", got a number with a fraction";
            case BOOLEAN -> ", got a boolean";
            case NULL -> ", got null";
            case ARRAY -> ", got an array";
            case OBJECT, POJO -> ", got an object";
            default -> "";
        };
    }

    private static String fieldPath(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (path.length() > 0) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 300 ? line.substring(0, 300) : line;
    }
}
