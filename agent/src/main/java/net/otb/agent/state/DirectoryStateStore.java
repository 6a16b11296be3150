package net.otb.agent.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import net.otb.protocol.files.AtomicFiles;

/**
 * Keeps the state as {@code state.json} in a folder. The file is replaced through {@link AtomicFiles}, so a
 * reader sees a complete old or new file. A file that does not parse is refused with its path, never
 * silently dropped: it is the shaping of a customer.
 */
public final class DirectoryStateStore implements StateStore {

    public static final String FILE_NAME = "state.json";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
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
        AtomicFiles.write(file, MAPPER.writeValueAsBytes(state));
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
     * @throws IOException naming {@code origin} when the content is not a state
     */
    public static AgentState parse(byte[] bytes, Path origin) throws IOException {
        try {
            AgentState state = MAPPER.readValue(bytes, AgentState.class);
            if (state == null) {
                throw new IOException(origin + ": empty state file");
            }
            return state;
        } catch (JsonProcessingException e) {
            throw new IOException(origin + ": not a valid agent state: " + e.getOriginalMessage(), e);
        }
    }
}
