package net.otb.agent.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceBackendsTest {

    @Test
    void factoriesAreFoundByNameAndAListedButAbsentProviderIsSkipped() {
        // the services file also lists the Linux backend; whether or not it is built, loading does not fail
        assertThat(DeviceBackends.available()).containsKeys("memory", "recording");
    }

    @Test
    void theMemoryBackendTakesItsOptions() throws Exception {
        DeviceBackend backend = DeviceBackends.create("memory", Map.of("model", "v2b", "firmware", "2.1"));
        assertThat(backend.describe().model()).isEqualTo("v2b");
        assertThat(backend.describe().firmware()).isEqualTo("2.1");
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        assertThatThrownBy(() -> DeviceBackends.create("quantum", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backend: unknown backend 'quantum'")
                .hasMessageContaining("memory");
    }
}
