package net.otb.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import net.otb.agent.ServerAddress;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentConfigTest {

    @TempDir
    Path dir;

    static Map<String, String> minimal() {
        Map<String, String> values = new HashMap<>();
        values.put("servers", "prov.example:4443, [2001:db8::1]:5000,10.0.0.1");
        values.put("tls.key", "keys/agent.key");
        values.put("tls.certificate", "/etc/otb/agent.crt");
        values.put("tls.ca", "ca.crt");
        values.put("state.dir", "/var/lib/otb-agent");
        values.put("backend", "memory");
        return values;
    }

    @Test
    void theExampleConfigInDistIsValid() throws Exception {
        AgentConfig config = AgentConfig.load(Path.of("dist/agent.properties"));
        assertThat(config.servers()).containsExactly(new ServerAddress("prov1.overthebox.example", 4443),
                new ServerAddress("prov2.overthebox.example", 4443));
        assertThat(config.backend()).isEqualTo("linux-tc");
        assertThat(config.backendOptions()).containsEntry("interface", "tun0");
        assertThat(config.tlsProvider()).isEqualTo(TlsProvider.JDK);
        assertThat(config.settings().backoffMax()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void valuesAreParsedWithDefaultsAndPathsResolvedAgainstTheConfigFolder() throws Exception {
        Map<String, String> values = minimal();
        values.put("backoff.max.seconds", "60");
        values.put("backend.model", "v2c");
        values.put("apply.timeout.seconds", "45");
        AgentConfig config = AgentConfig.parse(values, dir);
        assertThat(config.servers()).containsExactly(new ServerAddress("prov.example", 4443),
                new ServerAddress("2001:db8::1", 5000), new ServerAddress("10.0.0.1", 4443));
        assertThat(config.keyFile()).isEqualTo(dir.resolve("keys/agent.key"));
        assertThat(config.certificateFile()).isEqualTo(Path.of("/etc/otb/agent.crt"));
        assertThat(config.settings().backoffMax()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.settings().backoffInitial()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.settings().backendTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.backendOptions()).containsExactly(Map.entry("model", "v2c"));
        assertThat(config.deviceId()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "servers|                    |servers: is required",
        "servers|prov.example:99999  |servers: port must be between 1 and 65535",
        "servers|2001:db8::1:4443    |servers: write an IPv6 address as [address]:port",
        "tls.key|                    |tls.key: is required",
        "backend|Linux TC            |backend: must be a backend name",
        "tls.provider|rustls         |tls.provider: tls provider must be auto, openssl or jdk",
        "backoff.max.seconds|ten     |backoff.max.seconds: must be a whole number",
        "backoff.max.seconds|0       |backoff.max.seconds: must be between 1 and 86400",
        "heartbeat.max.seconds|-1    |heartbeat.max.seconds: must be between",
        "apply.timeout.seconds|0     |apply.timeout.seconds: must be between 1 and 3600",
        "device.id|OTB3 0001         |device.id: must be 1-64 letters",
        "tls.cert|x.pem              |tls.cert: unknown setting",
    })
    void aBadValueIsRefusedNamingItsField(String key, String value, String message) {
        Map<String, String> values = minimal();
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
        assertThatThrownBy(() -> AgentConfig.parse(values, dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(message)
                .extracting(e -> ((ConfigException) e).field()).isEqualTo(key);
    }

    @Test
    void theBackoffCapMustNotBeBelowItsStart() {
        Map<String, String> values = minimal();
        values.put("backoff.initial.millis", "5000");
        values.put("backoff.max.seconds", "2");
        assertThatThrownBy(() -> AgentConfig.parse(values, dir)).hasMessageStartingWith("backoff.max.seconds:");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> AgentConfig.load(dir.resolve("nope.properties")))
                .hasMessageContaining("nope.properties");
    }

    @Test
    void aFileWithABrokenEscapeIsRefusedNotMisread() throws Exception {
        Path file = dir.resolve("agent.properties");
        Files.writeString(file, "servers=a:1\\u12\n");
        assertThatThrownBy(() -> AgentConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot read");
    }
}
