package net.otb.agent.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import net.otb.agent.state.AgentState.PendingConfirm;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.files.AtomicFiles;

/**
 * Keeps the state as {@code state.json} in a folder. The file is replaced through {@link AtomicFiles}, so a
 * reader sees a complete old or new file. A file that does not parse is refused with its path, never
 * silently dropped: it is the shaping of a customer.
 *
 * <p>The JSON is read and written with jackson-core's streaming parser and generator rather than an object
 * mapper: the agent must fit a small box, and databind alone loaded some 600 classes at start-up. The format
 * is the first release's: indented, null fields left out, unknown fields ignored (a later version's file stays
 * readable after a downgrade). Numbers must be integers and strings strings, and a field may appear once.
 */
public final class DirectoryStateStore implements StateStore {

    public static final String FILE_NAME = "state.json";

    /** Duplicates are refused: with two {@code applied} fields, which one the box shapes with would be a guess. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;

    DirectoryStateStore(Path directory) {
        this.file = directory.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    @Override
    public AgentState load() throws IOException {
        removeLeftovers();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return AgentState.EMPTY;
        }
        return parse(bytes, file);
    }

    @Override
    public void save(AgentState state) throws IOException {
        AtomicFiles.write(file, write(state));
    }

    /** Temporary files a crash left between write and rename: never the state, safe to drop. */
    private void removeLeftovers() throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (java.util.stream.Stream<Path> entries = Files.list(folder)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (name.startsWith("." + FILE_NAME) && name.endsWith(".tmp")) {
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    /**
     * Reads a state file's content.
     *
     * @throws IOException naming {@code origin}, the problem and where it is, when the content is not a state
     */
    public static AgentState parse(byte[] bytes, Path origin) throws IOException {
        String text;
        try {
            // decoded here, strictly: from bytes Jackson would guess UTF-16 or UTF-32 from the first few, and a
            // file a power cut left zero-filled reads as "UTF-32" with an error that names no file
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(origin + ": not a valid agent state: not UTF-8 text", e);
        }
        try (JsonParser parser = JSON.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null || first == JsonToken.VALUE_NULL) {
                throw new IOException(origin + ": empty state file");
            }
            AgentState state = readState(parser);
            if (parser.nextToken() != null) {
                throw new JsonParseException(parser, "more content after the state");
            }
            return state;
        } catch (JsonEOFException e) {
            // Jackson's own words here quote an internal source marker that tells an operator nothing
            throw new IOException(origin + ": not a valid agent state: unexpected end-of-input inside the state"
                    + where(e.getLocation()), e);
        } catch (JsonProcessingException e) {
            throw new IOException(origin + ": not a valid agent state: " + e.getOriginalMessage()
                    + where(e.getLocation()), e);
        }
    }

    private static AgentState readState(JsonParser parser) throws IOException {
        expectObject(parser, "the state");
        BandwidthProfile applied = null;
        BandwidthProfile previous = null;
        PendingConfirm pending = null;
        Long unreportedRollback = null;
        String decommissioned = null;
        for (String name = nextField(parser); name != null; name = nextField(parser)) {
            switch (name) {
                case "applied" -> applied = readProfile(parser, name);
                case "previous" -> previous = readProfile(parser, name);
                case "pending" -> pending = readPending(parser, name);
                case "unreportedRollback" -> unreportedRollback = optionalInteger(parser, name);
                case "decommissioned" -> decommissioned = text(parser, name);
                default -> parser.skipChildren();
            }
        }
        try {
            return new AgentState(applied, previous, pending, unreportedRollback, decommissioned);
        } catch (IllegalArgumentException e) {
            throw new JsonParseException(parser, e.getMessage(), e);
        }
    }

    private static BandwidthProfile readProfile(JsonParser parser, String field) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expectObject(parser, field);
        Long generation = null;
        Long downKbps = null;
        Long upKbps = null;
        String serviceName = null;
        String offer = null;
        String serviceIp = null;
        for (String name = nextField(parser); name != null; name = nextField(parser)) {
            String path = field + "." + name;
            switch (name) {
                case "generation" -> generation = integer(parser, path);
                case "serviceName" -> serviceName = text(parser, path);
                case "offer" -> offer = text(parser, path);
                case "downKbps" -> downKbps = integer(parser, path);
                case "upKbps" -> upKbps = integer(parser, path);
                case "serviceIp" -> serviceIp = text(parser, path);
                default -> parser.skipChildren();
            }
        }
        long checkedGeneration = required(parser, generation, field + ".generation");
        long checkedDown = required(parser, downKbps, field + ".downKbps");
        long checkedUp = required(parser, upKbps, field + ".upKbps");
        try {
            // the record's own checks: the state file is held to what the wire is
            return new BandwidthProfile(checkedGeneration, serviceName, offer, checkedDown, checkedUp, serviceIp);
        } catch (IllegalArgumentException e) {
            throw new JsonParseException(parser, field + ": " + e.getMessage(), e);
        }
    }

    private static PendingConfirm readPending(JsonParser parser, String field) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expectObject(parser, field);
        Long generation = null;
        Long deadline = null;
        for (String name = nextField(parser); name != null; name = nextField(parser)) {
            String path = field + "." + name;
            switch (name) {
                case "generation" -> generation = integer(parser, path);
                case "deadlineEpochMillis" -> deadline = integer(parser, path);
                default -> parser.skipChildren();
            }
        }
        return new PendingConfirm(required(parser, generation, field + ".generation"),
                required(parser, deadline, field + ".deadlineEpochMillis"));
    }

    /** The next field's name, with the parser moved onto its value; {@code null} at the end of the object. */
    private static String nextField(JsonParser parser) throws IOException {
        JsonToken token = parser.nextToken();
        if (token == JsonToken.END_OBJECT) {
            return null;
        }
        if (token != JsonToken.FIELD_NAME) {
            throw new JsonParseException(parser, "expected a field name, found " + describe(token));
        }
        String name = parser.currentName();
        parser.nextToken();
        return name;
    }

    private static void expectObject(JsonParser parser, String what) throws JsonParseException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new JsonParseException(parser, what + " must be an object, found " + describe(parser.currentToken()));
        }
    }

    private static long integer(JsonParser parser, String path) throws IOException {
        if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw new JsonParseException(parser,
                    path + " must be an integer, found " + describe(parser.currentToken()));
        }
        JsonParser.NumberType type = parser.getNumberType();
        if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
            throw new JsonParseException(parser, path + " is out of range: " + parser.getText());
        }
        return parser.getLongValue();
    }

    private static Long optionalInteger(JsonParser parser, String path) throws IOException {
        return parser.currentToken() == JsonToken.VALUE_NULL ? null : integer(parser, path);
    }

    /** A string, or {@code null} for JSON null, which the record then refuses if the field is required. */
    private static String text(JsonParser parser, String path) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token != JsonToken.VALUE_STRING) {
            throw new JsonParseException(parser, path + " must be a string, found " + describe(token));
        }
        return parser.getText();
    }

    private static long required(JsonParser parser, Long value, String path) throws JsonParseException {
        if (value == null) {
            throw new JsonParseException(parser, path + " is missing");
        }
        return value;
    }

    private static String describe(JsonToken token) {
        if (token == null) {
            return "the end of the file";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a decimal number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.asString() == null ? token.name() : "'" + token.asString() + "'";
        };
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    /** The first release's layout: indented, null fields left out, so that it still reads what this writes. */
    static byte[] write(AgentState state) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator generator = JSON.createGenerator(out)) {
            generator.useDefaultPrettyPrinter();
            generator.writeStartObject();
            writeProfile(generator, "applied", state.applied());
            writeProfile(generator, "previous", state.previous());
            if (state.pending() != null) {
                generator.writeObjectFieldStart("pending");
                generator.writeNumberField("generation", state.pending().generation());
                generator.writeNumberField("deadlineEpochMillis", state.pending().deadlineEpochMillis());
                generator.writeEndObject();
            }
            if (state.unreportedRollback() != null) {
                generator.writeNumberField("unreportedRollback", state.unreportedRollback());
            }
            if (state.decommissioned() != null) {
                generator.writeStringField("decommissioned", state.decommissioned());
            }
            generator.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void writeProfile(JsonGenerator generator, String field, BandwidthProfile profile)
            throws IOException {
        if (profile == null) {
            return;
        }
        generator.writeObjectFieldStart(field);
        generator.writeNumberField("generation", profile.generation());
        generator.writeStringField("serviceName", profile.serviceName());
        generator.writeStringField("offer", profile.offer());
        generator.writeNumberField("downKbps", profile.downKbps());
        generator.writeNumberField("upKbps", profile.upKbps());
        generator.writeStringField("serviceIp", profile.serviceIp());
        generator.writeEndObject();
    }
}
