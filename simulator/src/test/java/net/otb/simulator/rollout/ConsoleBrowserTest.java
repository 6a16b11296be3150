package net.otb.simulator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.tls.TlsProvider;
import net.otb.protocol.pki.Pem;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.Role;
import net.otb.server.rollout.RolloutDriver;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real browser (headless Chromium) against a running server with 30 real agents: an aborted
 * rollout (half the fleet refuses the rates) and a paused one, the fleet online by model, the push tasks in
 * error, a service's audit trail. The page signs its requests over HTTPS with a viewer's or an operator's credential
 * given in the URL's fragment, and Chromium trusts exactly the server's certificate (by its key). Saves
 * {@code target/console.png}. Skipped when Chromium is not installed, except
 * under {@code CI=true}, where that is a failure ({@code .ci/run} installs it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {

    private static final int BOXES = 30;
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final String REASON = "HTB: rate above the line capacity";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private Chromium chromium;
    private EmbeddedServer server;
    private ServerApi api;
    private Fleet fleet;
    private long aborted;
    private long paused;
    private long cancelled;
    private String failingService;
    private String migratedService;
    private ApiCredential viewer;
    private ApiCredential operator;

    @BeforeAll
    void start(@TempDir Path data, @TempDir Path scratch) throws Exception {
        chromium = Chromium.find(scratch).orElse(null);
        if (chromium == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("chromium is not installed; .ci/run installs it and CI needs this test to run");
            }
            Assumptions.abort("chromium is not installed (apt-get install chromium); the console's browser test is skipped");
        }
        server = EmbeddedServer.start(data, TlsProvider.AUTO, Clock.systemUTC(), new EmbeddedServer.Timings(10, 10, 2, 1),
                new RolloutDriver.Settings(Duration.ofMillis(100), Duration.ofSeconds(5)));
        chromium = chromium.trusting(Pem.readCertificates(server.server().httpsCertificate()).get(0));
        viewer = server.server().createCredential("console-viewer", Role.VIEWER);
        operator = server.server().createCredential("console-operator", Role.OPERATOR);
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(30));
        fleet = Fleet.build(FleetConfig.of(BOXES, TlsProvider.AUTO), server.issuer(),
                ClientTls.of(server.anchors(), TlsProvider.AUTO), List.of(server.agentAddress()), group,
                Clock.systemUTC(), 3, FleetListener.NONE);
        new Provisioning(api, 8).registerAll(fleet.devices(), "starter.v1", done -> { });
        fleet.start().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        await(() -> fleet.confirmedOn("starter.v1") == BOXES && fleet.connected() == BOXES);

        // one customer's own offer change through the order system: order, payment, push, refund
        SimulatedDevice migrated = fleet.devices().get(2);
        migratedService = Provisioning.serviceName(migrated);
        long order = api.post("/1.0/overTheBox/" + migratedService + "/migration/changeOffers", ServerApi.body("offer",
                "business.v1", "acceptedContracts", List.of("otb-general-conditions", "otb-business-special-conditions")))
                .path("orderId").asLong();
        api.post("/1.0/me/order/" + order + "/pay", ServerApi.body("paymentId", "pay-" + order));
        await(() -> migrated.confirmedProfile() != null && migrated.confirmedProfile().offer().equals("business.v1"));

        List<SimulatedDevice> failing = fleet.devices().stream().filter(d -> d.index() % 2 == 0 && d != migrated)
                .toList();
        // they refuse the new rates once, and take their old ones back when the abort returns them
        failing.forEach(d -> d.box().faults().rejectNextApplies(1, REASON));
        aborted = api.post("/1.0/admin/rollouts", ServerApi.body("name", "business for everyone", "offer", "business.v1",
                "fromOffer", "starter.v1", "canaryBoxes", 9, "growthFactor", 2, "maxPerMinute", 60_000,
                "abortFailurePercent", 20, "waveTimeoutSeconds", 60)).path("id").asLong();
        awaitRollout(aborted, r -> r.path("state").asText().equals("aborted"));
        failingService = api.get("/1.0/admin/rollouts/" + aborted + "/boxes?state=failed").get(0).path("serviceName")
                .asText();
        failing.forEach(d -> d.box().faults().clear());

        paused = api.post("/1.0/admin/rollouts", ServerApi.body("name", "slow and steady", "offer", "business.v1",
                "model", "v3", "canaryBoxes", 4, "growthFactor", 2, "maxPerMinute", 60,
                "waveTimeoutSeconds", 600)).path("id").asLong();
        awaitRollout(paused, r -> r.path("boxesByState").path("applied").asInt() >= 1);
        api.post("/1.0/admin/rollouts/" + paused + "/pause", Map.of());

        cancelled = api.post("/1.0/admin/rollouts", ServerApi.body("name", "v2c first", "offer", "business.v1",
                "model", "v2c", "canaryBoxes", 2, "growthFactor", 2, "maxPerMinute", 60,
                "waveTimeoutSeconds", 600)).path("id").asLong();
        awaitRollout(cancelled, r -> r.path("boxesByState").path("applied").asInt() >= 1);
        api.post("/1.0/admin/rollouts/" + cancelled + "/cancel", Map.of());
        // the failing boxes run the generation that took the change back: their push errors are closed
        await(() -> {
            try {
                return api.get("/1.0/admin/tasks?state=error").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void await(java.util.function.BooleanSupplier condition) throws Exception {
        fleet.awaitUntil(condition, DEADLINE).get(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
    }

    private void awaitRollout(long id, Predicate<JsonNode> condition) throws Exception {
        await(() -> {
            try {
                return condition.test(api.get("/1.0/admin/rollouts/" + id));
            } catch (Exception e) {
                return false;
            }
        });
    }

    private String console(String query) {
        return server.httpBase().resolve("/console" + query).toString();
    }

    /** {@code #credential=<base64url of the JSON that create-credential --output writes>}, then more of the fragment. */
    private static String signedAs(ApiCredential credential, String more) {
        return "#credential=" + Base64.getUrlEncoder().withoutPadding().encodeToString(credential.toJson()
                .getBytes(StandardCharsets.UTF_8)) + more;
    }

    @Test
    void anOperatorSeesTheFleetTheRolloutsWithTheirChartsAndButtonsAndThePushErrors() throws Exception {
        String dom = chromium.dumpDom(console(signedAs(operator, "")), BUDGET);

        assertThat(dom).contains("data-loaded=\"true\"", "title=\"the role of the credential this tab signs with\">"
                + "operator</span>");
        assertThat(dom).contains("<span id=\"devices-total\" class=\"value\">" + BOXES + "</span>",
                "<span id=\"online-total\" class=\"value\">" + BOXES + "</span>");
        for (String model : List.of("v2b", "v2c", "v3")) {
            assertThat(dom).containsPattern("<tr data-model=\"" + model + "\"><td>" + model + "</td><td>10</td>"
                    + "<td class=\"online\">10</td>");
        }
        assertThat(dom).contains("data-rollout-id=\"" + aborted + "\" data-state=\"aborted\"",
                "data-rollout-id=\"" + paused + "\" data-state=\"paused\"", "wave 1: ", "more than 20 %");
        assertThat(dom).contains("<svg class=\"chart\"", "aria-label=\"waves of rollout " + aborted + "\"");
        assertThat(dom).contains("data-action=\"revert\" data-rollout=\"" + aborted + "\"",
                "data-action=\"resume\" data-rollout=\"" + paused + "\"",
                "data-action=\"cancel\" data-rollout=\"" + paused + "\"");
        // the card says why boxes failed, and how many for each reason
        assertThat(dom).containsPattern("<ul class=\"reasons\"><li><b>\\d+</b> rejected: " + REASON + "</li>");
        assertThat(dom).contains(">" + failingService + "</a>");
        // a cancelled rollout's waves are cancelled, not failed
        assertThat(dom).contains("data-rollout-id=\"" + cancelled + "\" data-state=\"cancelled\"",
                "data-wave-state=\"cancelled\">2 · cancelled</text>");
        // each box listed says whether it is connected, and whether it runs its desired generation
        assertThat(dom).contains("<th>connected</th><th>in sync</th>", "data-connected=\"true\"",
                "<td class=\"online\">connected</td>");
        // the headline counts the current wave against its abort rule, and how far from it an open rollout is
        assertThat(dom).containsPattern("data-headline=\"" + aborted + "\">wave 1: \\d+ failed of 9, aborts at 2<");
        assertThat(dom).containsPattern("data-headline=\"" + paused + "\">wave 1: 0 failed of 4, aborts at 1 "
                + "\\(1 more\\)<");
        assertThat(dom).contains("id=\"hide-finished\"");
        // the push errors the take-back put right are gone
        assertThat(dom).contains("no push task in error");
        assertThat(dom).doesNotContain("cannot read the API", operator.applicationSecret());

        Path png = Path.of("target", "console.png");
        Files.deleteIfExists(png);
        chromium.screenshot(console(signedAs(operator, "")), BUDGET, png, 1280, 2400);
        assertThat(Files.size(png)).isGreaterThan(10_000);
    }

    @Test
    void aViewerReadsEverythingButGetsNoButtons() throws Exception {
        String dom = chromium.dumpDom(console(signedAs(viewer, "")), BUDGET);

        assertThat(dom).contains("data-loaded=\"true\"", ">viewer</span>", "data-state=\"aborted\"",
                "data-state=\"paused\"", "<span id=\"devices-total\" class=\"value\">" + BOXES + "</span>", REASON);
        assertThat(dom).doesNotContain("data-action=", "cannot read the API");
    }

    @Test
    void withoutACredentialThePageShowsTheLoginFormAndNoData() throws Exception {
        String dom = chromium.dumpDom(console(""), BUDGET);

        assertThat(dom).contains("<section id=\"login\" class=\"login\">", "<div id=\"content\" hidden=\"\">",
                "<span id=\"devices-total\" class=\"value\">–</span>", "<p id=\"login-message\" class=\"failure\" hidden=\"\">");
        assertThat(dom).doesNotContain("data-loaded", "data-state=", "data-model=", REASON, failingService);
    }

    @Test
    void aCredentialTheServerRefusesShowsItsMessageOnTheLoginForm() throws Exception {
        ApiCredential wrong = new ApiCredential(viewer.applicationKey(), operator.applicationSecret(),
                viewer.consumerKey(), viewer.role(), viewer.rules());
        String dom = chromium.dumpDom(console(signedAs(wrong, "")), BUDGET);

        assertThat(dom).contains("<section id=\"login\" class=\"login\">", "<div id=\"content\" hidden=\"\">");
        assertThat(dom).containsPattern("<p id=\"login-message\" class=\"failure\">GET /1.0/auth/currentCredential "
                + "refused \\(401\\): Invalid signature");
        assertThat(dom).doesNotContain("data-loaded", "data-state=", REASON);
    }

    @Test
    void aServicePageShowsItsOfferBoxAndAuditTrailAsATimeline() throws Exception {
        String dom = chromium.dumpDom(console(signedAs(viewer, "&service=" + failingService)), BUDGET);

        assertThat(dom).contains("<dd id=\"service-shown\">" + failingService + " (active");
        assertThat(dom).contains("<ol class=\"timeline\">", "<b>service.created</b>", "<b>profile.rejected</b>",
                "by rollout:" + aborted);
        assertThat(dom).contains("<dt>migration</dt><dd>none</dd>");
    }

    @Test
    void aMigratedServicesPageShowsItsMigrationRefundAndTheOrderToShapingTimeline() throws Exception {
        String dom = chromium.dumpDom(console(signedAs(viewer, "&service=" + migratedService)), BUDGET);

        assertThat(dom).contains("<dd id=\"service-shown\">" + migratedService, "OverTheBox Business 1 Gbps (business.v1)");
        assertThat(dom).containsPattern("<dt>migration</dt><dd>#\\d+: starter\\.v1 → business\\.v1, done");
        assertThat(dom).containsPattern("<dt>refund</dt><dd>[^<]*€");
        assertThat(dom).containsSubsequence("<b>migration.ordered</b>", "<b>migration.paid</b>", "<b>desired.changed</b>",
                "<b>profile.applied</b>");
        assertThat(dom).contains("<b>refund.established</b>");
    }
}
