package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RouterTest {

    private static final ApiHandler NOTHING = (request, tx) -> ApiResponse.ok(null);

    @Test
    void aLiteralSegmentWinsOverAParameterAndParametersAreDecoded() {
        Router router = new Router().get("/1.0/overTheBox/{serviceName}", NOTHING)
                .get("/1.0/overTheBox/{serviceName}/tasks", NOTHING)
                .get("/1.0/overTheBox/special", NOTHING);
        Router.Match special = router.match("GET", "/1.0/overTheBox/special");
        assertThat(special.route().template()).isEqualTo("/1.0/overTheBox/special");
        Router.Match byName = router.match("GET", "/1.0/overTheBox/otb%40ab+1/tasks");
        assertThat(byName.route().template()).isEqualTo("/1.0/overTheBox/{serviceName}/tasks");
        assertThat(byName.params()).containsEntry("serviceName", "otb@ab+1");
    }

    @Test
    void aPathWithoutTheMethodListsTheAllowedOnes() {
        Router router = new Router().get("/a/{x}", NOTHING).post("/a/{x}", NOTHING);
        Router.Match match = router.match("DELETE", "/a/1");
        assertThat(match.route()).isNull();
        assertThat(match.allowed()).containsExactly("GET", "HEAD", "POST");
        assertThat(router.match("GET", "/a").allowed()).isEmpty();
        assertThat(router.match("GET", "/a/").route()).isNull();
    }

    @Test
    void duplicateOrMalformedTemplatesAreRefusedAtRegistration() {
        Router router = new Router().get("/a/{x}", NOTHING);
        assertThatThrownBy(() -> router.get("/a/{y}", NOTHING)).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> router.get("a", NOTHING)).hasMessageContaining("starts with '/'");
        assertThatThrownBy(() -> router.get("/a b", NOTHING)).hasMessageContaining("bad segment");
    }
}
