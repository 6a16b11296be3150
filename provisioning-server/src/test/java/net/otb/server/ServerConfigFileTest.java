package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config file: its values are the defaults, the command line overrides them, a mistake names file, line and key. */
class ServerConfigFileTest {

    @Test
    void theFileGivesTheSettingsAndTheCommandLineOverridesThem(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("server.properties"), """
                # a comment, then blank lines

                data-dir = state
                agent-port = 4999
                http-port=8999
                billing-zone = America/Guadeloupe
                """);
        String checked = ServerMainTest.runCapturing("--config", file.toString(), "--http-port", "8123", "--check-config");
        assertThat(checked).startsWith("0:").contains("configuration OK")
                // relative paths are the file's folder's
                .contains("data " + dir.resolve("state"))
                .contains("agents 127.0.0.1:4999").contains("http 127.0.0.1:8123")
                .contains("billing zone America/Guadeloupe");
        assertThat(dir.resolve("state")).as("a check writes nothing").doesNotExist();
    }

    @Test
    void theShippedExampleIsAValidConfigFile() {
        // the module's folder is the tests' working directory
        assertThat(ServerMainTest.runCapturing("--config", "dist/server.properties", "--check-config")).startsWith("0:")
                .contains("data /var/lib/otb-server").contains("agents 127.0.0.1:4443").contains("http 127.0.0.1:8080")
                .contains("billing zone Europe/Paris");
    }

    @Test
    void aBadFileExitsWith2NamingTheFileTheLineAndTheKey(@TempDir Path dir) throws Exception {
        assertThat(check(dir, "agent-port = 4443\n\nagnet-port = 4444\n")).startsWith("2:")
                .contains("line 3: agnet-port: unknown key");
        assertThat(check(dir, "# ports\nhttp-port = eighty\n")).startsWith("2:")
                .contains("line 2: http-port: 'eighty' is not an integer");
        assertThat(check(dir, "agent-port = 70000\n")).startsWith("2:")
                .contains("line 1: agent-port: must be between 0 and 65535, got 70000");
        assertThat(check(dir, "billing-zone = Europe/Pariss\n")).startsWith("2:")
                .contains("line 1: billing-zone: 'Europe/Pariss' is not a time zone");
        assertThat(check(dir, "http-port = 1\nhttp-port = 2\n")).startsWith("2:")
                .contains("line 2: http-port: given twice (first on line 1)");
        assertThat(check(dir, "agent-port 4443\n")).startsWith("2:").contains("line 1: expected key = value");
        // a value of the right type that the settings refuse: their check, then where it came from
        assertThat(check(dir, "agent-port = 0\n\nheartbeat-seconds = 0\n")).startsWith("2:")
                .contains("heartbeatSeconds must be between 1 and 3600, got 0").contains("line 3: heartbeat-seconds)");
        assertThat(check(dir, "agent-port = 9000\nhttp-port = 9000\n")).startsWith("2:")
                .contains("the agent port and the http port must differ, both are 9000");
        assertThat(check(dir, "tls-provider = rot13\n")).startsWith("2:")
                .contains("tls provider must be").contains("line 1: tls-provider)");
        assertThat(check(dir, "config = other.properties\n")).startsWith("2:").contains("line 1: config: unknown key");
        assertThat(ServerMainTest.runCapturing("--config", dir.resolve("missing.properties").toString()))
                .startsWith("2:").contains("cannot read the config file").contains("missing.properties");
    }

    private static String check(Path dir, String content) throws Exception {
        Path file = Files.writeString(dir.resolve("bad.properties"), content);
        String result = ServerMainTest.runCapturing("--config", file.toString(), "--check-config");
        assertThat(result).contains(file.toString());
        return result;
    }
}
