package net.otb.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a start creates in the data folder, so that a failed start can remove it again: the folder itself when it did
 * not exist, else the entries new in it (the H2 files) and in the dev PKI's folder. Only the top level of each is
 * listed: what was there before is never looked into nor touched.
 */
final class StartLeftovers {

    private static final Logger LOG = LoggerFactory.getLogger(StartLeftovers.class);

    private final List<Path> folders;
    private final Set<Path> existing;

    private StartLeftovers(List<Path> folders, Set<Path> existing) {
        this.folders = folders;
        this.existing = existing;
    }

    /** Lists {@code dataDir} and {@code pkiDir} as they are now. */
    static StartLeftovers before(Path dataDir, Path pkiDir) {
        // the PKI's folder first: it is usually inside the data folder
        List<Path> folders = List.of(pkiDir.toAbsolutePath(), dataDir.toAbsolutePath());
        Set<Path> existing = new HashSet<>();
        for (Path folder : folders) {
            if (Files.exists(folder)) {
                existing.add(folder);
                try (Stream<Path> entries = Files.list(folder)) {
                    entries.forEach(existing::add);
                } catch (IOException e) {
                    LOG.debug("cannot list {}: {}", folder, e.toString());
                }
            }
        }
        return new StartLeftovers(folders, existing);
    }

    /** Removes what appeared since {@link #before}: new entries, then new folders. */
    void removeNew() {
        for (Path folder : folders) {
            if (!Files.exists(folder)) {
                continue;
            }
            if (!existing.contains(folder)) {
                deleteTree(folder);
                continue;
            }
            try (Stream<Path> entries = Files.list(folder)) {
                entries.filter(p -> !existing.contains(p)).toList().forEach(StartLeftovers::deleteTree);
            } catch (IOException e) {
                LOG.warn("cannot clean {} after a failed start: {}", folder, e.toString());
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> tree = Files.walk(root)) {
            tree.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot remove {} after a failed start: {}", root, e.toString());
        }
    }
}
