package net.otb.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The signature and the URL it covers, against digests computed outside Java ({@code printf … | sha1sum}). */
class OvhSignatureTest {

    @Test
    void theSignatureIsSha1OfTheSixPartsJoinedWithPlusInHexAfterTheVersion() {
        assertThat(OvhSignature.sign("secret", "ck", "GET", "https://127.0.0.1/1.0/me/contact?x=1", "", 1_700_000_000L))
                .isEqualTo("$1$7283462379c23a00f2f035904286f5518e210e7d");
        // the body's text is hashed as UTF-8, as Node's crypto hashes a JS string
        assertThat(OvhSignature.sign("secret", "ck", "POST", "https://eu.api.ovh.com/1.0/me/contact",
                "{\"name\":\"é\"}", 42)).isEqualTo("$1$e06a1cd7c94bec1202ea6467af67e0140ebd68a5");
    }

    @Test
    void theSignedUrlDropsTheHostHeadersPortAndKeepsTheTargetAsSent() {
        assertThat(OvhSignature.fullUrl("127.0.0.1:8443", "/1.0/order/overTheBox/otb-1/migrate?offer=business.v1"))
                .isEqualTo("https://127.0.0.1/1.0/order/overTheBox/otb-1/migrate?offer=business.v1");
        assertThat(OvhSignature.fullUrl("localhost", "/1.0/me/contact")).isEqualTo("https://localhost/1.0/me/contact");
        assertThat(OvhSignature.hostWithoutPort("[::1]:8443")).isEqualTo("[::1]");
        assertThat(OvhSignature.hostWithoutPort("::1")).as("a bare IPv6 literal has no port to drop").isEqualTo("::1");
    }

    @Test
    void accessRulesMatchOvhsWildcardAndTreatHeadAsGet() {
        AccessRule orders = new AccessRule("GET", "/me/order/*");
        assertThat(orders.grants("GET", "/me/order/42")).isTrue();
        assertThat(orders.grants("HEAD", "/me/order/42/details")).isTrue();
        assertThat(orders.grants("POST", "/me/order/42")).isFalse();
        assertThat(orders.grants("GET", "/me/orders")).isFalse();
        AccessRule change = new AccessRule("POST", "/overTheBox/*/migration/changeOffers");
        assertThat(change.grants("POST", "/overTheBox/otb-1/migration/changeOffers")).isTrue();
        assertThat(change.grants("POST", "/overTheBox/otb-1/migration/changeOffersX")).isFalse();
        assertThat(new AccessRule("GET", "/me/contact").grants("GET", "/me/contact/1")).isFalse();
        assertThatThrownBy(() -> new AccessRule("PATCH", "/me")).hasMessageContaining("method");
        assertThatThrownBy(() -> new AccessRule("GET", "me")).hasMessageContaining("starts with '/'");
    }

    @Test
    void aRoleIsParsedByItsWireNameAndAnUnknownOneNamesTheRoles() {
        assertThat(Role.parse("Order_System")).isEqualTo(Role.ORDER_SYSTEM);
        assertThatThrownBy(() -> Role.parse("root")).hasMessageContaining("billing").hasMessageContaining("operator");
    }
}
