package net.otb.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void aForgedLogLineStaysOnTheLineOfItsValue() {
        String forged = "1.0\n[main] WARN  net.otb.server.Fake - box OTB3-000999 revoked";
        assertThat(LogSafe.quote(forged))
                .isEqualTo("\"1.0\\n[main] WARN  net.otb.server.Fake - box OTB3-000999 revoked\"")
                .doesNotContain("\n");
    }

    @Test
    void everyKindOfControlCharacterIsEscaped() {
        assertThat(LogSafe.escape("a\rb\tc\u0000d\u001be\u007ff\u0085g\u2028h\u202ei\\j\"k"))
                .isEqualTo("a\\rb\\tc\\u0000d\\u001be\\u007ff\\u0085g\\u2028h\\u202ei\\\\j\\\"k");
    }

    @Test
    void plainTextIsKeptAsItIs() {
        assertThat(LogSafe.escape("/1.0/overTheBox/otb-é1?x=1")).isEqualTo("/1.0/overTheBox/otb-é1?x=1");
        assertThat(LogSafe.quote(null)).isEqualTo("null");
    }

    @Test
    void aLongValueIsCut() {
        String escaped = LogSafe.escape("x".repeat(LogSafe.MAX_CHARS + 10));
        assertThat(escaped).startsWith("x".repeat(LogSafe.MAX_CHARS)).endsWith("...(10 more chars)");
    }

    @Property
    void noEscapedValueHoldsAControlCharacter(@ForAll String value) {
        String escaped = LogSafe.quote(value);
        assertThat(escaped.chars().noneMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029))
                .isTrue();
    }
}
