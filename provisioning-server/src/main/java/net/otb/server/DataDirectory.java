package net.otb.server;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The server's data directory is its owner's only, whatever the umask it was started with: the directory (and each
 * folder in it) {@code 0700}, each file in it without group or other bits ({@code 0600} for the H2 database, the
 * secrets and the dev PKI). The directory's mode is what guards files made later (H2's temporary and trace files);
 * the packaged unit also sets {@code UMask=0077} (docs/operations.md#install-from-the-debian-packages).
 */
public final class DataDirectory {

    private static final Set<PosixFilePermission> GROUP_AND_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private DataDirectory() {
    }

    /** Creates {@code dir} (and missing parents) and makes it {@code 0700}; an existing one is made {@code 0700} too. */
    public static void create(Path dir) throws IOException {
        if (!posix()) {
            Files.createDirectories(dir);
            return;
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** Takes group and other bits off every folder and file under {@code dir} (symbolic links are not followed). */
    public static void restrict(Path dir) throws IOException {
        if (!posix() || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                Set<PosixFilePermission> modes = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
                if (modes.removeAll(GROUP_AND_OTHER)) {
                    Files.setPosixFilePermissions(path, modes);
                }
            }
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
