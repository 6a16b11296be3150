package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start that fails says why (a port in use: which listener, which port) and leaves the data folder as it was. */
class ServerStartFailureTest {

    @Test
    void anAgentPortInUseIsNamedAndNoDataFolderIsCreated(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String out = ServerMainTest.runCapturing("--data-dir", data.toString(), "--agent-port",
                    Integer.toString(taken.getLocalPort()), "--http-port", "0");
            assertThat(out).startsWith("2:")
                    .contains("cannot bind the agent port 127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
        }
        assertThat(data).doesNotExist();
    }

    @Test
    void anHttpPortInUseIsNamedAndAnExistingDataFolderIsUnchanged(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "the operator's");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String out = ServerMainTest.runCapturing("--data-dir", data.toString(), "--agent-port", "0",
                    "--http-port", Integer.toString(taken.getLocalPort()));
            assertThat(out).startsWith("2:")
                    .contains("cannot bind the HTTP port 127.0.0.1:" + taken.getLocalPort() + ": Address already in use");
        }
        assertThat(list(data)).containsExactly(data.resolve("notes.txt"));
    }

    @Test
    void aStartThatFailsAfterMakingTheDatabaseAndPkiRemovesThem(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "the operator's");
        ProvisioningServer server = ProvisioningServer.builder(ServerConfig.ephemeral(data))
                .module((router, context) -> {
                    assertThat(data.resolve("pki/ca.crt")).as("the PKI exists when modules register").exists();
                    throw new IllegalStateException("a module that cannot register");
                }).build();
        assertThatThrownBy(server::start).isInstanceOf(ServerStartException.class)
                .hasMessageContaining("a module that cannot register");
        assertThat(list(data)).containsExactly(data.resolve("notes.txt"));

        // a data folder with a database already is kept as it was, the database included
        try (ProvisioningServer first = ProvisioningServer.builder(ServerConfig.ephemeral(data)).build()) {
            first.start();
        }
        List<Path> before = list(data);
        assertThat(before).contains(data.resolve("pki"), data.resolve("otb.mv.db"));
        List<Path> pkiBefore = list(data.resolve("pki"));
        ProvisioningServer failing = ProvisioningServer.builder(ServerConfig.ephemeral(data))
                .module((router, context) -> {
                    throw new IllegalStateException("again");
                }).build();
        assertThatThrownBy(failing::start).isInstanceOf(ServerStartException.class);
        assertThat(list(data)).containsExactlyInAnyOrderElementsOf(before);
        assertThat(list(data.resolve("pki"))).containsExactlyInAnyOrderElementsOf(pkiBefore);
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.sorted().toList();
        }
    }
}
