package net.otb.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.otb.server.migration.OfferChangeApi;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bash signing function of docs/api.md, taken from the page itself, run with curl against a server: what the
 * page tells an operator to type signs as the server checks. Skipped without bash, curl or sha1sum, except under
 * {@code CI=true}.
 */
class SignedCurlDocTest {

    static final Path PAGE = Path.of("../docs/api.md");
    static final String MARKER = "<!-- the block below is run by SignedCurlDocTest -->";

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static String function;

    @BeforeAll
    static void start() throws Exception {
        for (String program : List.of("bash", "curl", "sha1sum")) {
            boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                    .anyMatch(d -> Files.isExecutable(Path.of(d, program)));
            if (!found) {
                String reason = program + " is not on the PATH (.ci/run installs curl)";
                if ("true".equals(System.getenv("CI"))) {
                    fail(reason + "; CI needs this test to run");
                }
                Assumptions.abort(reason + ": skipped");
            }
        }
        String page = Files.readString(PAGE);
        int marker = page.indexOf(MARKER);
        assertThat(marker).as("docs/api.md has the marked signing block").isPositive();
        int open = page.indexOf("```bash\n", marker);
        int close = page.indexOf("```", open + 8);
        function = page.substring(open + 8, close);
        harness = new ServerHarness(dir, g -> g, new OfferChangeApi());
    }

    @AfterAll
    static void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void theDocumentedFunctionSignsReadsAndWritesTheServerAccepts() throws Exception {
        ApiCredential order = harness.server.createCredential("curl-order-system", Role.ORDER_SYSTEM);
        JsonNode created = run(order, "otb_call POST /1.0/me/contact '{\"name\":\"Curl User\",\"street\":\"1 rue\","
                + "\"postcode\":\"75002\",\"city\":\"Paris\",\"country\":\"FR\",\"phone\":\"+33100000000\"}'");
        assertThat(created.path("name").asText()).as(created.toString()).isEqualTo("Curl User");
        JsonNode listed = run(order, "otb_call GET '/1.0/me/contact'");
        assertThat(listed.findValuesAsText("name")).contains("Curl User");
        JsonNode quote = run(order, "otb_call GET '/1.0/order/overTheBox/otb-none/migrate?offer=business.v1'");
        assertThat(quote.path("status").asInt()).as("signed with its query, refused only for the unknown service: %s",
                quote).isEqualTo(404);
    }

    @Test
    void theFunctionWithAnotherSecretIsRefused() throws Exception {
        ApiCredential order = harness.server.createCredential("curl-wrong", Role.ORDER_SYSTEM);
        ApiCredential wrong = new ApiCredential(order.applicationKey(), "not-the-secret", order.consumerKey(),
                order.role(), order.rules());
        JsonNode refused = run(wrong, "otb_call GET /1.0/me/contact");
        assertThat(refused.path("status").asInt()).isEqualTo(401);
        assertThat(refused.path("errorCode").asText()).isEqualTo("INVALID_SIGNATURE");
    }

    private static JsonNode run(ApiCredential credential, String call) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", function + "\n" + call).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("OTB_AK", credential.applicationKey());
        env.put("OTB_AS", credential.applicationSecret());
        env.put("OTB_CK", credential.consumerKey());
        env.put("OTB_CA", dir.resolve("pki/ca.crt").toAbsolutePath().toString());
        env.put("OTB_HOST", "127.0.0.1");
        env.put("OTB_PORT", Integer.toString(harness.server.ports().httpPort()));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return new ObjectMapper().readTree(output);
    }
}
