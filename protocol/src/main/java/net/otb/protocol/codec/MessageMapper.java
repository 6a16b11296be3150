package net.otb.protocol.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.Message;

/**
 * JSON mapping of {@link Message}s: strict about types and shape, lenient about unknown fields.
 * Immutable and thread-safe once built; one instance serves every channel.
 */
public final class MessageMapper {

    /** JSON nested deeper than this is refused before it costs stack. */
    public static final int MAX_NESTING_DEPTH = 16;

    private static final MessageMapper INSTANCE = new MessageMapper();

    private final ObjectMapper mapper;
    private final ObjectReader reader;
    private final ObjectWriter writer;

    private MessageMapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(FrameDecoder.MAX_FRAME_LENGTH)
                        .maxNumberLength(32)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper = JsonMapper.builder(factory)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
        reader = mapper.readerFor(Message.class);
        writer = mapper.writerFor(Message.class);
    }

    public static MessageMapper instance() {
        return INSTANCE;
    }

    /**
     * Encodes a message as UTF-8 JSON.
     *
     * @throws IllegalStateException if Jackson cannot write a record (a bug, never input)
     */
    public byte[] write(Message message) {
        try {
            return writer.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message.type(), e);
        }
    }

    /**
     * Decodes one frame's payload.
     *
     * @return a {@link Message}, or an {@link UnknownMessage} when the {@code type} is unknown
     * @throws ProtocolException when the payload is not a JSON object of a known shape
     */
    public Object read(byte[] json, int offset, int length) {
        int first = firstNonSpace(json, offset, length);
        if (first < 0 || json[first] != '{') {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "a frame must hold one JSON object");
        }
        try {
            return reader.readValue(json, offset, length);
        } catch (InvalidTypeIdException e) {
            String type = e.getTypeId();
            if (type == null) {
                throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "the message has no type field");
            }
            // Jackson turns a number or a boolean into a type id; only a string is a type name
            if (!typeIsAString(json, offset, length)) {
                throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "the type field must be a string");
            }
            return new UnknownMessage(type.length() > 64 ? type.substring(0, 64) : type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "invalid " + typeName(e) + ": " + cause.getMessage());
        } catch (JsonMappingException e) {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "invalid " + field(e) + firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "invalid JSON: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "invalid JSON: " + firstLine(e.getMessage()));
        } catch (RuntimeException e) {
            // Jackson reports some shape errors (e.g. constraint violations) as unchecked exceptions
            throw new ProtocolException(ErrorCode.INVALID_MESSAGE, "invalid JSON: " + firstLine(e.getMessage()));
        }
    }

    /** The mapper, for tests and tools that need JSON of the same settings. */
    public ObjectMapper objectMapper() {
        return mapper;
    }

    /** Reads a JSON tree with the same limits, for tests. */
    public JsonNode tree(byte[] json) throws IOException {
        try (JsonParser parser = mapper.getFactory().createParser(json)) {
            return mapper.readTree(parser);
        }
    }

    /** Only on the unknown-type path: a second, tree parse of a frame that already parsed once. */
    private boolean typeIsAString(byte[] json, int offset, int length) {
        try (JsonParser parser = mapper.getFactory().createParser(json, offset, length)) {
            JsonNode root = mapper.readTree(parser);
            return root != null && root.path("type").isTextual();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String typeName(ValueInstantiationException e) {
        return e.getType() == null ? "message" : e.getType().getRawClass().getSimpleName();
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

    /** "field seq: " for a mapping error inside a known message, "JSON: " when there is no path. */
    private static String field(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? "JSON: " : "field " + path + ": ";
    }

    /** The first line of Jackson's message, without its advice on Jackson settings (meant for us, not the peer). */
    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        for (String advice : new String[] {" (set DeserializationConfig", " (but ", ": not allowed as per",
                " (start marker at", ", from `StreamReadConstraints"}) {
            int at = line.indexOf(advice);
            if (at > 0) {
                line = line.substring(0, at);
            }
        }
        return line.length() > 200 ? line.substring(0, 200) : line;
    }

}
