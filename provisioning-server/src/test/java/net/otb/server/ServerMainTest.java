package net.otb.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.otb.server.testing.ChildServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerMainTest {

    @Test
    void badConfigurationExitsWith2AndSaysWhy(@TempDir Path dir) throws Exception {
        assertThat(runCapturing("--data-dir", dir.toString(), "--agent-port", "70000")).startsWith("2:")
                .contains("agent port must be between 0 and 65535");
        Path catalog = Files.writeString(dir.resolve("bad.json"), "{}");
        assertThat(runCapturing("--data-dir", dir.toString(), "--agent-port", "0", "--http-port", "0",
                "--catalog", catalog.toString())).startsWith("2:").contains("bad.json");
        assertThat(runCapturing("--data-dir", dir.toString(), "--no-such-option")).startsWith("2:")
                .contains("no-such-option");
        assertThat(runCapturing("--data-dir", dir.toString(), "--ca-cert", "ca.crt")).startsWith("2:")
                .contains("go together");
        assertThat(runCapturing("--data-dir", dir.toString(), "--tls-provider", "rot13")).startsWith("2:")
                .contains("tls provider must be");
    }

    @Test
    void plainHttpOnAWideAddressAndAnUnknownRoleAreRefusedWith2(@TempDir Path dir) {
        assertThat(runCapturing("--data-dir", dir.toString(), "--agent-port", "0", "--http-port", "0",
                "--http-insecure", "--http-host", "0.0.0.0")).startsWith("2:").contains("loopback only, not 0.0.0.0");
        assertThat(runCapturing("--data-dir", dir.toString(), "--https-cert", "chain.pem")).startsWith("2:")
                .contains("--https-cert and --https-key go together");
        assertThat(runCapturing("create-credential", "--data-dir", dir.toString(), "--role", "admin")).startsWith("2:")
                .contains("unknown role 'admin'").contains("order-system");
    }

    @Test
    void createCredentialPrintsTheKeysOnceAndStoresNoSecretInClear(@TempDir Path dir) throws Exception {
        String printed = runCapturing("create-credential", "--data-dir", dir.toString(), "--role", "billing");
        assertThat(printed).startsWith("0:").contains("application secret:").contains("POST /me/order/*/pay");
        String secret = printed.replaceAll("(?s).*application secret: *(\\S+).*", "$1");
        assertThat(secret).hasSize(32);
        assertThat(dir.resolve("api-secrets.key")).exists();
        assertThat(new String(Files.readAllBytes(dir.resolve("otb.mv.db")), StandardCharsets.ISO_8859_1))
                .doesNotContain(secret);
    }

    @Test
    void createCredentialWritesAShellFileWithEnvFormatAndRefusesAnUnknownFormat(@TempDir Path dir) throws Exception {
        Path env = dir.resolve("billing.env");
        assertThat(runCapturing("create-credential", "--data-dir", dir.toString(), "--role", "billing", "--format", "env",
                "--output", env.toString())).startsWith("0:");
        List<String> lines = Files.readAllLines(env);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("OTB_AK=\\S+");
        assertThat(lines.get(1)).matches("OTB_AS=\\S{32}");
        assertThat(lines.get(2)).matches("OTB_CK=\\S+");
        assertThat(Files.getPosixFilePermissions(env)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(runCapturing("create-credential", "--data-dir", dir.toString(), "--role", "billing", "--format", "yaml",
                "--output", dir.resolve("x").toString())).startsWith("2:").contains("--format is json or env");
    }

    @Test
    void aNegativeTicketRotationIsABadConfigurationAndATicketSecretElsewhereIsMadeThere(@TempDir Path dir)
            throws Exception {
        assertThat(runCapturing("--data-dir", dir.toString(), "--tls-ticket-rotation-hours", "-1"))
                .startsWith("2:").contains("tls-ticket-rotation-hours cannot be negative");
        Path secret = dir.resolve("shared/ticket-secret");
        try (ChildServer child = ChildServer.start(dir.resolve("data"), "--tls-ticket-secret", secret.toString())) {
            assertThat(secret).exists();
            assertThat(dir.resolve("data/tls-ticket-secret")).doesNotExist();
        }
    }

    @Test
    void createCredentialMakesAReadOnlyViewer(@TempDir Path dir) throws Exception {
        String printed = runCapturing("create-credential", "--data-dir", dir.toString(), "--role", "viewer");
        assertThat(printed).startsWith("0:").contains("Created a credential of role viewer")
                .contains("rules:              [GET /admin/*, GET /overTheBox/*]").doesNotContain("POST /");
    }

    @Test
    void theDataFolderAndEveryFileInItAreOwnerOnlyWhateverTheUmask(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (ChildServer child = ChildServer.start(data)) {
            assertThat(data.resolve("otb.mv.db")).exists();
            try (var paths = Files.walk(data)) {
                for (Path path : paths.toList()) {
                    String mode = java.nio.file.attribute.PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(path, java.nio.file.LinkOption.NOFOLLOW_LINKS));
                    assertThat(mode).as(path.toString()).isEqualTo(Files.isDirectory(path) ? "rwx------" : "rw-------");
                }
            }
        }
        assertThat(Files.readString(Path.of("dist/otb-server.service"))).containsPattern("(?m)^UMask=0077$");
    }

    @Test
    void theServerStartsOnTheDefaultsMakesItsDevPkiAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
        try (ChildServer child = ChildServer.start(dir)) {
            assertThat(child.output()).contains("created the dev PKI in " + dir.resolve("pki"));
            assertThat(dir.resolve("pki/ca.crt")).exists();
            assertThat(dir.resolve("pki/server.crt")).exists();
            assertThat(child.http().get("/healthz").status()).isEqualTo(200);
            // the JVM's status after SIGTERM is 128 + 15 once the shutdown hook has closed everything
            assertThat(child.terminate()).isEqualTo(143);
            assertThat(child.output()).contains("provisioning server stopped");
        }
    }

    @Test
    void aSecondInstanceOnTheSameH2DatabaseIsRefusedSayingThatSeveralInstancesNeedPostgres(@TempDir Path dir)
            throws Exception {
        try (ChildServer first = ChildServer.start(dir, "--instance-id", "solo")) {
            assertThat(first.output()).contains("instance: solo (H2, single instance)");
            assertThat(runCapturing("--data-dir", dir.toString(), "--agent-port", "0", "--http-port", "0"))
                    .startsWith("2:").contains("is in use by another process")
                    .contains("several instances need PostgreSQL");
            assertThat(first.http().get("/healthz").status()).isEqualTo(200);
        }
        assertThat(runCapturing("--data-dir", dir.toString(), "--instance-id", "no spaces")).startsWith("2:")
                .contains("instanceId must be");
    }

    static String runCapturing(String... args) {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        int code;
        try {
            code = ServerMain.run(args);
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        return code + ": " + captured.toString(StandardCharsets.UTF_8);
    }
}
