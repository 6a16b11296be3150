package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data directory is its owner's only, whatever the umask: this JVM's (the test runner's, 022 as a rule) would
 * leave H2's database world-readable.
 */
class DataDirectoryModesTest {

    @TempDir
    Path dir;

    @Test
    void aNewDataDirectoryIs0700AndEveryFileInIt0600() throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            harness.registerBox("OTB3-000777", "v3");
            Path data = dir.resolve("data");
            assertThat(mode(data)).isEqualTo("rwx------");
            List<Path> files;
            try (Stream<Path> walk = Files.walk(data)) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            assertThat(files).extracting(p -> p.getFileName().toString()).anyMatch(name -> name.endsWith(".mv.db"));
            assertThat(files).allSatisfy(file -> assertThat(mode(file)).as("%s", file).isEqualTo("rw-------"));
        }
    }

    @Test
    void anExistingDataDirectoryOpenToOthersIsClosedAtStart() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path left = Files.writeString(data.resolve("notes.txt"), "an operator's file");
        Files.setPosixFilePermissions(left, PosixFilePermissions.fromString("rw-r--r--"));
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            assertThat(mode(data)).isEqualTo("rwx------");
            assertThat(mode(left)).isEqualTo("rw-------");
            assertThat(Files.readString(left)).isEqualTo("an operator's file");
        }
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
