package net.otb.protocol.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.Message;

/**
 * JSON mapping of {@link Message}s: strict about types and shape, lenient about unknown fields.
 * Streams with jackson-core alone (no data binding), so that the agent loads only the parser and generator.
 * Immutable and thread-safe; one instance serves every channel.
 */
public final class MessageMapper {

    /** JSON nested deeper than this is refused before it costs stack. */
    public static final int MAX_NESTING_DEPTH = 16;

    /** A detail longer than this is cut: it goes back to the peer in an {@code error}. */
    static final int MAX_DETAIL_LENGTH = 200;

    private static final String TYPE = "type";

    /** Jackson's hints on its own settings, meant for us and not for the peer: cut at the first one. */
    private static final String[] ADVICE = {": enable `", " (consider enabling", ": maybe a (non-standard) comment",
        " (set ", " (but ", ": not allowed as per", " (start marker at", ", from `"};

    private static final MessageMapper INSTANCE = new MessageMapper();

    private final JsonFactory factory;

    private MessageMapper() {
        factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(FrameDecoder.MAX_FRAME_LENGTH)
                        .maxNumberLength(32)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    public static MessageMapper instance() {
        return INSTANCE;
    }

    /**
     * Encodes a message as UTF-8 JSON: {@code type} first, then the record's components in declaration order,
     * null components left out.
     *
     * @throws IllegalStateException if a record cannot be written (a bug, never input)
     */
    public byte[] write(Message message) {
        Shape shape = Shape.forMessage(message);
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator generator = factory.createGenerator(out)) {
            generator.writeStartObject();
            generator.writeStringField(TYPE, message.type());
            writeFields(generator, shape, Shape.components(message));
            generator.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + message.type(), e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes one frame's payload. Unknown fields are skipped and {@code type} may come anywhere in the object.
     * Values are never coerced: a number field takes a JSON integer within its Java type, a string field a
     * string; null stands for an absent string, list or profile, and is refused for a number. Duplicate keys,
     * anything after the object, nesting deeper than {@link #MAX_NESTING_DEPTH}, numbers longer than 32
     * characters and strings longer than a frame are refused. An unknown type is answered only once its whole
     * object parsed.
     *
     * @return a {@link Message}, or an {@link UnknownMessage} when the {@code type} is unknown
     * @throws ProtocolException when the payload is not a JSON object of a known shape
     */
    public Object read(byte[] json, int offset, int length) {
        int first = firstNonSpace(json, offset, length);
        if (first < 0 || json[first] != '{') {
            throw invalid("a frame must hold one JSON object");
        }
        try (JsonParser parser = factory.createParser(json, offset, length)) {
            parser.nextToken();
            JsonToken token = parser.nextToken();
            String type;
            if (token == JsonToken.FIELD_NAME && TYPE.equals(parser.currentName())) {
                // the usual case, and what write() produces: one pass
                type = typeValue(parser, parser.nextToken());
                token = parser.nextToken();
            } else {
                type = findType(json, offset, length);
            }
            Shape shape = Shape.of(type);
            Object result;
            if (shape == null) {
                skipFields(parser, token);
                result = new UnknownMessage(type.length() > 64 ? type.substring(0, 64) : type);
            } else {
                result = readObject(parser, token, shape, "");
            }
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw invalid("invalid JSON: " + describe(trailing) + " after the object");
            }
            return result;
        } catch (ProtocolException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw invalid("invalid JSON: " + withoutAdvice(e.getOriginalMessage()));
        } catch (IOException | RuntimeException e) {
            // jackson-core reports a few malformed inputs as unchecked exceptions
            throw invalid("invalid JSON: " + withoutAdvice(e.getMessage()));
        }
    }

    /** Only when {@code type} is not the first field: a second parser finds it before fields are read. */
    private String findType(byte[] json, int offset, int length) throws IOException {
        try (JsonParser scan = factory.createParser(json, offset, length)) {
            scan.nextToken();
            for (JsonToken token = scan.nextToken(); token == JsonToken.FIELD_NAME; token = scan.nextToken()) {
                boolean isType = TYPE.equals(scan.currentName());
                JsonToken value = scan.nextToken();
                if (isType) {
                    return typeValue(scan, value);
                }
                scan.skipChildren();
            }
        }
        throw invalid("the message has no type field");
    }

    private static String typeValue(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (token == JsonToken.VALUE_NULL) {
            throw invalid("the message has no type field");
        }
        throw invalid("the type field must be a string");
    }

    /** Reads the rest of an unknown message so that it is still checked as one well-formed object. */
    private static void skipFields(JsonParser parser, JsonToken token) throws IOException {
        while (token == JsonToken.FIELD_NAME) {
            parser.nextToken();
            parser.skipChildren();
            token = parser.nextToken();
        }
    }

    /**
     * Reads fields from {@code token} (a field name or the end of the object) to the end of the object, and
     * builds the record. Fields the shape does not have are skipped, {@code type} among them.
     */
    private static Object readObject(JsonParser parser, JsonToken token, Shape shape, String path)
            throws IOException {
        Object[] values = new Object[shape.fields.length];
        for (; token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
            int index = shape.indexOf(parser.currentName());
            JsonToken value = parser.nextToken();
            if (index < 0) {
                parser.skipChildren();
            } else {
                values[index] = readValue(parser, value, shape.kinds[index], path, shape.fields[index]);
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null && (shape.kinds[i] == Shape.LONG || shape.kinds[i] == Shape.INT)) {
                throw invalidField(path, shape.fields[i], -1, "missing, " + expected(shape.kinds[i]) + " is required");
            }
        }
        try {
            return shape.create(values);
        } catch (IllegalArgumentException e) {
            throw invalid("invalid " + shape.name + ": " + e.getMessage());
        }
    }

    private static Object readValue(JsonParser parser, JsonToken token, byte kind, String path, String field)
            throws IOException {
        switch (kind) {
            case Shape.LONG:
                return readLong(parser, token, path, field, -1);
            case Shape.INT:
                return readInt(parser, token, path, field, -1);
            case Shape.STRING:
                return readString(parser, token, path, field, -1);
            case Shape.STATUS: {
                String wire = readString(parser, token, path, field, -1);
                try {
                    return wire == null ? null : Applied.Status.fromWire(wire);
                } catch (IllegalArgumentException e) {
                    throw invalid("invalid " + Applied.Status.class.getSimpleName() + ": " + e.getMessage());
                }
            }
            case Shape.INTS:
            case Shape.STRINGS: {
                if (token == JsonToken.VALUE_NULL) {
                    return null;
                }
                if (token != JsonToken.START_ARRAY) {
                    throw wrongType(path, field, -1, expected(kind), token);
                }
                List<Object> list = new ArrayList<>();
                for (JsonToken element = parser.nextToken(); element != JsonToken.END_ARRAY;
                        element = parser.nextToken()) {
                    int index = list.size();
                    list.add(kind == Shape.INTS ? readNullableInt(parser, element, path, field, index)
                            : readString(parser, element, path, field, index));
                }
                return list;
            }
            case Shape.PROFILE: {
                if (token == JsonToken.VALUE_NULL) {
                    return null;
                }
                if (token != JsonToken.START_OBJECT) {
                    throw wrongType(path, field, -1, expected(kind), token);
                }
                return readObject(parser, parser.nextToken(), Shape.BANDWIDTH_PROFILE,
                        path + field + ".");
            }
            default:
                throw new IllegalStateException("no reader for kind " + kind);
        }
    }

    /** A JSON integer within {@code long}: no string, float, boolean or null stands in for it. */
    private static Long readLong(JsonParser parser, JsonToken token, String path, String field, int index)
            throws IOException {
        if (token != JsonToken.VALUE_NUMBER_INT) {
            throw wrongType(path, field, index, expected(Shape.LONG), token);
        }
        JsonParser.NumberType type = parser.getNumberType();
        if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
            throw outOfRange(parser, path, field, index, "long", Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return parser.getLongValue();
    }

    /** A JSON integer within {@code int}: no string, float, boolean or null stands in for it. */
    private static Integer readInt(JsonParser parser, JsonToken token, String path, String field, int index)
            throws IOException {
        if (token != JsonToken.VALUE_NUMBER_INT) {
            throw wrongType(path, field, index, expected(Shape.INT), token);
        }
        if (parser.getNumberType() != JsonParser.NumberType.INT) {
            throw outOfRange(parser, path, field, index, "int", Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return parser.getIntValue();
    }

    /** An element of a list of integers, where null is read as null for the record to refuse. */
    private static Integer readNullableInt(JsonParser parser, JsonToken token, String path, String field, int index)
            throws IOException {
        return token == JsonToken.VALUE_NULL ? null : readInt(parser, token, path, field, index);
    }

    /** A JSON string or null: a number or a boolean is not turned into text. */
    private static String readString(JsonParser parser, JsonToken token, String path, String field, int index)
            throws IOException {
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        throw wrongType(path, field, index, expected(Shape.STRING), token);
    }

    private static void writeFields(JsonGenerator generator, Shape shape, Object[] values) throws IOException {
        for (int i = 0; i < values.length; i++) {
            Object value = values[i];
            if (value == null) {
                continue;
            }
            String field = shape.fields[i];
            switch (shape.kinds[i]) {
                case Shape.LONG:
                    generator.writeNumberField(field, (long) (Long) value);
                    break;
                case Shape.INT:
                    generator.writeNumberField(field, (int) (Integer) value);
                    break;
                case Shape.STRING:
                    generator.writeStringField(field, (String) value);
                    break;
                case Shape.STATUS:
                    generator.writeStringField(field, ((Applied.Status) value).wire());
                    break;
                case Shape.INTS:
                    generator.writeArrayFieldStart(field);
                    for (Object element : (List<?>) value) {
                        generator.writeNumber((int) (Integer) element);
                    }
                    generator.writeEndArray();
                    break;
                case Shape.STRINGS:
                    generator.writeArrayFieldStart(field);
                    for (Object element : (List<?>) value) {
                        generator.writeString((String) element);
                    }
                    generator.writeEndArray();
                    break;
                case Shape.PROFILE:
                    generator.writeObjectFieldStart(field);
                    writeFields(generator, Shape.BANDWIDTH_PROFILE, Shape.components(value));
                    generator.writeEndObject();
                    break;
                default:
                    throw new IllegalStateException("no writer for kind " + shape.kinds[i]);
            }
        }
    }

    private static String expected(byte kind) {
        switch (kind) {
            case Shape.LONG:
            case Shape.INT:
                return "an integer";
            case Shape.INTS:
                return "an array of integers";
            case Shape.STRINGS:
                return "an array of strings";
            case Shape.PROFILE:
                return "an object";
            default:
                return "a string";
        }
    }

    /** What the peer sent instead, in words (an if chain: a switch on the enum would load one more class). */
    private static String describe(JsonToken token) {
        if (token == JsonToken.VALUE_STRING) {
            return "a string";
        } else if (token == JsonToken.VALUE_NUMBER_INT) {
            return "an integer";
        } else if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            return "a floating-point number";
        } else if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
            return "a boolean";
        } else if (token == JsonToken.VALUE_NULL) {
            return "null";
        } else if (token == JsonToken.START_ARRAY) {
            return "an array";
        } else if (token == JsonToken.START_OBJECT) {
            return "an object";
        }
        return String.valueOf(token);
    }

    private static ProtocolException wrongType(String path, String field, int index, String expected,
                                               JsonToken token) {
        return invalidField(path, field, index, "expected " + expected + ", got " + describe(token));
    }

    private static ProtocolException outOfRange(JsonParser parser, String path, String field, int index,
                                                String type, long min, long max) throws IOException {
        return invalidField(path, field, index,
                "Numeric value (" + parser.getText() + ") out of range of " + type + " (" + min + " - " + max + ")");
    }

    /** "invalid field applied.downKbps: ..." or "invalid field protocols[0]: ...". */
    private static ProtocolException invalidField(String path, String field, int index, String problem) {
        return invalid("invalid field " + path + field + (index < 0 ? "" : "[" + index + "]") + ": " + problem);
    }

    private static ProtocolException invalid(String detail) {
        return new ProtocolException(ErrorCode.INVALID_MESSAGE, oneLine(detail));
    }

    /** Jackson's message without its hints on Jackson settings (meant for us, not the peer). */
    private static String withoutAdvice(String message) {
        if (message == null) {
            return "unreadable";
        }
        String text = message;
        // "expected ']' (for Array starting at [Source: ...])": where the array began says nothing to the peer
        int start = text.indexOf(" starting at ");
        if (start > 0) {
            int open = text.lastIndexOf(" (for ", start);
            text = text.substring(0, open > 0 ? open : start);
        }
        for (String advice : ADVICE) {
            int at = text.indexOf(advice);
            if (at > 0) {
                // "exceeds the maximum allowed (16, from `StreamReadConstraints...`)" keeps its bracket
                text = text.substring(0, at) + (advice.startsWith(", from") ? ")" : "");
            }
        }
        int tick = text.indexOf('`');
        return tick < 0 ? text : text.substring(0, tick).strip();
    }

    /**
     * The detail as one short line of text: it echoes the peer's input at times, and goes back in an
     * {@code error} frame and into logs, where a line break or half a character would mislead the reader.
     * Control characters and lone surrogates become '?'; a cut never splits a surrogate pair.
     */
    static String oneLine(String detail) {
        int length = Math.min(detail.length(), MAX_DETAIL_LENGTH);
        if (length < detail.length() && Character.isHighSurrogate(detail.charAt(length - 1))) {
            length--;
        }
        StringBuilder line = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            char c = detail.charAt(i);
            if (Character.isISOControl(c)) {
                line.append('?');
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(detail.charAt(i + 1))) {
                line.append(c).append(detail.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                line.append('?');
            } else {
                line.append(c);
            }
        }
        return line.toString();
    }

    private static int firstNonSpace(byte[] json, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = json[i];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return i;
            }
        }
        return -1;
    }
}
