package net.otb.protocol.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PkiToolTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    Run pki(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine line = PkiTool.commandLine(new PkiTool(CLOCK, new SecureRandom()));
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int exit = line.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    String dir() {
        return tmp.resolve("pki").toString();
    }

    @Test
    void initMakesACaAndAServerCertificateForLoopbackByDefault() throws Exception {
        Run run = pki("init", dir());

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("ca.crt").contains("for localhost, 127.0.0.1, ::1");
        DevPki made = DevPki.open(Path.of(dir()), CLOCK, new SecureRandom());
        assertThat(sans(made.serverCredentials().leaf())).containsExactlyInAnyOrder("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(dir(), "ca.key"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(dir(), "ca.crt"))))
                .isEqualTo("rw-r--r--");
    }

    @Test
    void initTakesTheServerNamesGiven() throws Exception {
        assertThat(pki("init", dir(), "--host", "otb.example,10.0.0.1", "--host", "gw.otb.example").exit()).isZero();

        assertThat(sans(DevPki.open(Path.of(dir()), CLOCK, new SecureRandom()).serverCredentials().leaf()))
                .containsExactlyInAnyOrder("otb.example", "10.0.0.1", "gw.otb.example");
    }

    @Test
    void initRefusesAFolderThatHoldsACaAndLeavesItAlone() throws Exception {
        pki("init", dir());
        byte[] before = Files.readAllBytes(Path.of(dir(), "ca.key"));

        Run again = pki("init", dir());

        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already holds a CA");
        assertThat(Files.readAllBytes(Path.of(dir(), "ca.key"))).isEqualTo(before);
    }

    @Test
    void issueDeviceWritesOnePairPerSerialAndRefusesAnExistingOneWithoutWritingAnything() {
        pki("init", dir());

        Run run = pki("issue-device", dir(), "OTB3-000001", "OTB3-000002");
        assertThat(run.exit()).isZero();
        assertThat(Path.of(dir(), "devices", "OTB3-000002.key")).exists();

        Run again = pki("issue-device", dir(), "OTB3-000003", "OTB3-000001");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already issued").contains("OTB3-000001");
        assertThat(Path.of(dir(), "devices", "OTB3-000003.crt")).doesNotExist();
    }

    @Test
    void issueServerNeedsForceToReplaceTheServerCertificate() throws Exception {
        pki("init", dir());

        Run refused = pki("issue-server", dir(), "--host", "otb.example");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("server.crt already exists");

        assertThat(pki("issue-server", dir(), "--host", "otb.example", "--force").exit()).isZero();
        assertThat(Certificates.commonName(DevPki.open(Path.of(dir()), CLOCK, new SecureRandom())
                .serverCredentials().leaf())).isEqualTo("otb.example");
    }

    @Test
    void revokeAddsTheBoxToTheListAndListShowsIt() {
        pki("init", dir());
        pki("issue-device", dir(), "OTB3-000001", "OTB3-000002");

        Run revoke = pki("revoke", dir(), "OTB3-000002", "--reason", "stolen");
        assertThat(revoke.exit()).isZero();
        assertThat(revoke.out()).contains("revoked OTB3-000002 (stolen)");
        assertThat(pki("revoke", dir(), "OTB3-000002").out()).contains("already revoked");

        Run list = pki("list", dir());
        assertThat(list.exit()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(3)).startsWith("device").contains("OTB3-000001").endsWith("valid");
        assertThat(lines.get(4)).startsWith("device").contains("OTB3-000002").endsWith("revoked");
    }

    @Test
    void revokingABoxWithoutACertificateFails() {
        pki("init", dir());

        Run run = pki("revoke", dir(), "OTB3-404");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("no certificate for box OTB3-404");
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhatIsWrong() {
        pki("init", dir());

        assertThat(pki().exit()).isEqualTo(2);
        assertThat(pki("frobnicate", dir()).exit()).isEqualTo(2);
        assertThat(pki("issue-device", dir()).exit()).isEqualTo(2);
        assertThat(pki("issue-server", dir()).err()).contains("Missing required option: '--host=HOST'");

        Run badSerial = pki("issue-device", dir(), "../../etc/passwd");
        assertThat(badSerial.exit()).isEqualTo(2);
        assertThat(badSerial.err()).contains("a box serial is").contains("Usage: pki issue-device");

        Run twice = pki("issue-device", dir(), "OTB3-1", "OTB3-1");
        assertThat(twice.exit()).isEqualTo(2);
        assertThat(twice.err()).contains("serial given twice: OTB3-1");

        Run badHost = pki("init", tmp.resolve("other").toString(), "--host", "not a host!");
        assertThat(badHost.exit()).isEqualTo(2);
        assertThat(badHost.err()).contains("not a host name or IP address: not a host!");
        assertThat(tmp.resolve("other")).doesNotExist();
    }

    @Test
    void aFolderWithoutAPkiOrWithAnUnreadableKeyFailsNamingTheFile() throws Exception {
        Run none = pki("list", tmp.resolve("empty").toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("holds no PKI").contains("pki init");

        pki("init", dir());
        Files.writeString(Path.of(dir(), "ca.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Run unreadable = pki("issue-device", dir(), "OTB3-1");
        assertThat(unreadable.exit()).isEqualTo(1);
        assertThat(unreadable.err()).startsWith("pki: " + Path.of(dir(), "ca.key") + ": ");
        assertThat(unreadable.err()).doesNotContain("\tat ");
    }

    static List<String> sans(java.security.cert.X509Certificate cert) throws Exception {
        return cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList();
    }

    @Test
    void helpExitsWithZero() {
        Run help = pki("--help");

        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("init", "issue-server", "issue-device", "revoke", "list", "Exit codes");
    }
}
