package net.otb.agent.linux;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as plain Java values, read with jackson-core's streaming parser: an object becomes a {@link Map} in the
 * tool's order, an array a {@link List}, then {@link String}, {@link Number}, {@link Boolean} and {@code null}.
 * The backend reads a handful of fields by name from {@code ip -j} and {@code tc -j}; a tree of its own spares the
 * box jackson-databind, which cost the agent some 600 classes at start-up.
 */
final class JsonTree {

    private static final JsonFactory JSON = new JsonFactory();

    private JsonTree() {
    }

    /**
     * The first JSON value in {@code text}; what follows it is ignored, as the backend always did with tool output.
     *
     * @throws IOException a {@link com.fasterxml.jackson.core.JsonProcessingException} when it is not JSON
     */
    static Object parse(String text) throws IOException {
        try (JsonParser parser = JSON.createParser(text)) {
            parser.nextToken();
            return value(parser);
        }
    }

    /** The value the parser is on, with all it contains; the parser is left on its last token. */
    private static Object value(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == null) {
            throw new JsonParseException(parser, "no JSON value");
        }
        return switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    parser.nextToken();
                    object.put(name, value(parser));
                }
                if (parser.currentToken() != JsonToken.END_OBJECT) {
                    throw new JsonParseException(parser, "unexpected end of input inside an object");
                }
                yield object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(value(parser));
                }
                yield array;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new JsonParseException(parser, "unexpected " + token);
        };
    }

    /** The value at {@code path} through nested objects; {@code null} when a step is missing or not an object. */
    static Object at(Object node, String... path) {
        Object here = node;
        for (String name : path) {
            if (!(here instanceof Map<?, ?> object)) {
                return null;
            }
            here = object.get(name);
        }
        return here;
    }

    /** The string at {@code path}, or {@code null} when there is none. */
    static String text(Object node, String... path) {
        return at(node, path) instanceof String text ? text : null;
    }

    /** Whether the value at {@code path} is {@code true}. */
    static boolean isTrue(Object node, String... path) {
        return Boolean.TRUE.equals(at(node, path));
    }

    /** The whole number at {@code path}, or 0 when there is no number. */
    static long integer(Object node, String... path) {
        return at(node, path) instanceof Number number ? number.longValue() : 0;
    }

    /** The items of the array at {@code path}; none when there is no array. */
    static List<?> items(Object node, String... path) {
        return at(node, path) instanceof List<?> items ? items : List.of();
    }
}
