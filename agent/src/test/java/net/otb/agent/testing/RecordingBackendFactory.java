package net.otb.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceBackendFactory;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;

/**
 * The {@code recording} backend, for tests that run the agent in a child JVM: it appends each operation to the
 * file named by option {@code log} ({@code start}, {@code apply <generation> <down> <up>}, {@code clear}), one
 * write per line, so the parent test sees what the child did even after killing it.
 */
public final class RecordingBackendFactory implements DeviceBackendFactory {

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public DeviceBackend create(Map<String, String> options) throws BackendException {
        String log = options.get("log");
        if (log == null || log.isBlank()) {
            throw new IllegalArgumentException("backend.log: is required");
        }
        Backend backend = new Backend(Path.of(log));
        backend.append("start");
        return backend;
    }

    private static final class Backend implements DeviceBackend {

        private final Path log;
        private volatile BandwidthProfile inForce;

        Backend(Path log) {
            this.log = log;
        }

        synchronized void append(String line) {
            try {
                Files.write(log, (line + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public CompletionStage<Void> apply(BandwidthProfile profile) {
            append("apply " + profile.generation() + " " + profile.downKbps() + " " + profile.upKbps());
            inForce = profile;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> clear() {
            append("clear");
            inForce = null;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public DeviceDescription describe() {
            BandwidthProfile current = inForce;
            return new DeviceDescription("v3", "recording", List.of("shaping.recording"),
                    current == null ? 0 : current.downKbps(), current == null ? 0 : current.upKbps(), Map.of());
        }
    }
}
