package net.otb.simulator.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProvisioningTest {

    @Test
    void everyBoxOfALargeFleetGetsItsOwnSharedAddressSpaceIp() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 70_000; i++) {
            String ip = Provisioning.serviceIp(i);
            assertThat(ip).startsWith("100.");
            assertThat(seen.add(ip)).isTrue();
        }
        assertThat(Provisioning.serviceIp(0)).isEqualTo("100.64.0.1");
        assertThat(Provisioning.serviceIp(255)).isEqualTo("100.64.1.0");
    }

    @Test
    void numbersBeyondTheBlockAreRefused() {
        assertThatThrownBy(() -> Provisioning.serviceIp(1 << 22)).isInstanceOf(IllegalArgumentException.class);
    }
}
