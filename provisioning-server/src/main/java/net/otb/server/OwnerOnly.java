package net.otb.server;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes the server's data folder owner-only whatever the umask: the folder and its sub-folders 0700, every file 0600.
 * It holds contacts, orders, sealed secrets and keys (H2 creates its files as the umask says: 0644 under the usual
 * 022). Symbolic links are not followed; on a file system without POSIX permissions nothing is done.
 */
final class OwnerOnly {

    static final Set<PosixFilePermission> FOLDER = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    static final Set<PosixFilePermission> FILE = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private OwnerOnly() {
    }

    /** The folder alone, 0700 (before anything is written in it: from then on nobody else can enter it). */
    static void folder(Path dir) throws IOException {
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, FOLDER);
        }
    }

    /** The folder and everything under it. */
    static void tree(Path dir) throws IOException {
        if (!posix(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path folder, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(folder, FOLDER);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.setPosixFilePermissions(file, FILE);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                // a file the store removed meanwhile (a temporary one): nothing to protect
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static boolean posix(Path dir) {
        return Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS) != null;
    }
}
