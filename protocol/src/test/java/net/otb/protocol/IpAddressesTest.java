package net.otb.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest
    @CsvSource({
            "203.0.113.10, 203.0.113.10",
            "2001:db8:0:0:0:0:0:1, 2001:db8::1",
            "2001:DB8::0001, 2001:db8::1",
            "::1, ::1",
            "::, ::",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "fe80:0:0:0:0:0:0:0, fe80::",
    })
    void addressesHaveOneSpellingPerRfc5952(String given, String canonical) {
        assertThat(IpAddresses.canonical(given)).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "256.1.1.1", "1.2.3", "01.2.3.4", "example.org", "localhost", "2001:db8::g",
            "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", " 1.2.3.4"})
    void whatIsNotAnAddressLiteralIsRefusedWithoutAskingDns(String text) {
        assertThatThrownBy(() -> IpAddresses.canonical(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("serviceIp");
    }

    @Property(tries = 300)
    void theCanonicalTextIsTheSameAddressAndIsStable(@ForAll @Size(16) byte[] bytes) throws Exception {
        String text = IpAddresses.rfc5952(bytes);
        InetAddress parsed = InetAddress.getByName(text);
        if (parsed instanceof java.net.Inet6Address) {
            assertThat(parsed.getAddress()).isEqualTo(bytes);
            assertThat(IpAddresses.canonical(text)).isEqualTo(text);
        }
        assertThat(text).doesNotContain(":::").hasSizeLessThanOrEqualTo(39);
    }
}
