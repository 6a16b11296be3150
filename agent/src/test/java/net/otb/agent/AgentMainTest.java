package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: {@code --check-config} and the one-line, field-naming refusal with exit code 2. */
class AgentMainTest {

    @TempDir
    Path dir;

    Path config;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    @BeforeEach
    void files() throws Exception {
        TestPki pki = new TestPki();
        Credentials device = pki.device("OTB3-000555");
        Files.writeString(dir.resolve("agent.key"), Pem.write(device.key()));
        Files.writeString(dir.resolve("agent.crt"), Pem.writeChain(device.chain()));
        Files.writeString(dir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        config = dir.resolve("agent.properties");
        write("servers=127.0.0.1:4443\ntls.key=agent.key\ntls.certificate=agent.crt\ntls.ca=ca.crt\n"
                + "state.dir=state\nbackend=memory\n");
    }

    void write(String text) throws Exception {
        Files.writeString(config, text);
    }

    int run(String... args) {
        return AgentMain.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void checkConfigAcceptsAGoodConfigAndSaysWhatItFound() {
        assertThat(run("--config", config.toString(), "--check-config")).isZero();
        assertThat(out.toString()).contains("is valid").contains("OTB3-000555").contains("backend memory");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aMissingFieldIsOneLineNamingItAndExitCode2() throws Exception {
        write("servers=127.0.0.1:4443\ntls.key=agent.key\ntls.certificate=agent.crt\ntls.ca=ca.crt\nbackend=memory\n");
        assertThat(run("--config", config.toString(), "--check-config")).isEqualTo(2);
        assertThat(err.toString().strip()).contains("state.dir: is required").doesNotContain("\n");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsNamed() throws Exception {
        Files.writeString(dir.resolve("agent.key"), Pem.write(new TestPki().device("OTB3-000555").key()));
        assertThat(run("--config", config.toString(), "--check-config")).isEqualTo(2);
        assertThat(err.toString()).contains("tls.key:").contains("agent.key");
    }

    @Test
    void aMissingCaFileIsNamed() throws Exception {
        Files.delete(dir.resolve("ca.crt"));
        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("tls.ca:").contains("no such file");
    }

    @Test
    void anUnknownBackendListsTheKnownOnes() throws Exception {
        write(Files.readString(config).replace("backend=memory", "backend=quantum"));
        assertThat(run("--config", config.toString(), "--check-config")).isEqualTo(2);
        assertThat(err.toString()).contains("backend: unknown backend 'quantum'").contains("memory");
    }

    @Test
    void checkConfigAlsoChecksTheBackendOptions() throws Exception {
        write(Files.readString(config) + "backend.model=v 3\n");
        assertThat(run("--config", config.toString(), "--check-config")).isEqualTo(2);
        assertThat(err.toString()).contains("backend.model:");
    }

    @Test
    void aBadBackendOptionIsNamedWhenTheBackendIsMade() throws Exception {
        write(Files.readString(config) + "backend.model=v 3\n");
        assertThat(run("--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("backend.model:");
    }

    @Test
    void theSelfTestRunsAWholeSessionOnLoopback() {
        assertThat(run("--self-test")).isZero();
        assertThat(out.toString()).contains("self-test passed");
    }

    @Test
    void noConfigOptionIsAUsageErrorWithCode2() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("--config");
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithCode2() {
        assertThat(run("--config", config.toString(), "--chek-config")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown option '--chek-config'").contains("Usage: otb-agent");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void anOptionWithoutItsValueIsAUsageErrorWithCode2() {
        assertThat(run("--config")).isEqualTo(2);
        assertThat(err.toString()).contains("option --config needs a value");
        assertThat(run("--config", "--check-config")).isEqualTo(2);
        assertThat(run("--check-config=yes", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("option --check-config takes no value");
    }

    @Test
    void theConfigMayBeGivenWithAnEqualsSign() {
        assertThat(run("--config=" + config, "--check-config")).isZero();
        assertThat(out.toString()).contains("is valid: device OTB3-000555");
    }

    @Test
    void helpAndVersionPrintAndExit0() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("--check-config").contains("--self-test");
        assertThat(run("-V")).isZero();
        assertThat(out.toString()).contains("otb-agent ");
    }
}
