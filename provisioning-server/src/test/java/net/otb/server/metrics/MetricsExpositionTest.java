package net.otb.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.protocol.ProfilePush;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live server's {@code /metrics}, after a box's session and push, read by Prometheus's own parser
 * ({@code promtool check metrics}); the Grafana dashboard and the alert rules of {@code dist/} name only series that
 * {@code /metrics} really shows, and the rules pass {@code promtool check rules} and their unit tests.
 */
class MetricsExpositionTest {

    static final Path DIST = Path.of("dist");
    static final Duration WAIT = Duration.ofSeconds(15);

    /** PromQL words that look like names but are not metrics. */
    static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "and",
            "or", "unless", "offset", "bool", "inf", "nan");
    /** Series Prometheus makes itself (per scrape target), not the server. */
    static final Set<String> PROMETHEUS_SERIES = Set.of("up");

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static String exposition;

    @BeforeAll
    static void start() throws Exception {
        Promtool.require();
        harness = new ServerHarness(dir, g -> g);
        harness.registerBox("OTB3-000901", "v3");
        harness.createService("otb-metrics-1", "198.51.100.91", "OTB3-000901", "starter.v1");
        try (TestAgent agent = harness.agent("OTB3-000901", true).connect(harness.agentPort())) {
            assertThat(agent.await(ProfilePush.class, WAIT).generation()).isEqualTo(1);
            agent.awaitConfirm(1, WAIT);
        }
        assertThat(harness.http.get("/1.0/overTheBox/no-such-service").status()).isEqualTo(404);
        // a rollout far in the future: its boxes' gauge has a series
        harness.registerBox("OTB3-000902", "v2b");
        harness.createService("otb-metrics-2", "198.51.100.92", "OTB3-000902", "starter.v1");
        assertThat(harness.http.post("/1.0/admin/rollouts", "{\"offer\":\"business.v1\",\"serviceNames\":"
                + "[\"otb-metrics-2\"],\"canaryBoxes\":1,\"growthFactor\":2,\"startAt\":\"2099-01-01T00:00:00Z\"}")
                .status()).isEqualTo(201);
        await().atMost(WAIT).until(() -> {
            String body = harness.http.get("/metrics").body();
            return body.contains("otb_fleet_services{model=\"v3\",sync=\"in_sync\"} 1.0")
                    && body.contains("otb_rollout_boxes{");
        });
        exposition = harness.http.get("/metrics").body();
    }

    @AfterAll
    static void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void promtoolAcceptsTheLiveMetrics() throws Exception {
        Promtool.Run run = Promtool.run(dir, exposition, "check", "metrics");
        assertThat(run.output()).as("promtool check metrics").isEmpty();
        assertThat(run.exit()).isZero();
    }

    @Test
    void theNamesAndLabelsOfBeforeTheClientLibraryAreKept() {
        assertThat(exposition).contains(
                "# TYPE otb_tls_handshakes_total counter", "otb_tls_handshakes_total{result=\"ok\"}",
                "otb_hellos_total{result=\"accepted\"} 1.0", "otb_pushes_total{kind=\"profile\"} 1.0",
                "otb_acks_total{status=\"applied\"} 1.0", "otb_connections_refused_total{reason=\"rate\"} 0.0",
                "otb_http_requests_total{method=\"GET\",route=\"/1.0/overTheBox/{serviceName}\",status=\"404\"} 1.0",
                "# TYPE otb_push_applied_seconds histogram", "otb_push_applied_seconds_count 1",
                "# TYPE otb_sessions gauge", "# TYPE otb_agent_connections gauge", "# TYPE otb_setups_in_flight gauge",
                "# TYPE otb_setup_rate_per_second gauge", "# TYPE otb_setups_limit gauge",
                "# TYPE otb_jvm_heap_used_bytes gauge", "# TYPE otb_jvm_heap_after_gc_bytes gauge");
    }

    @Test
    void setUpsAreTimedAndTheJvmAndTheFleetAreShown() {
        assertThat(exposition).contains("# TYPE otb_session_setup_seconds histogram", "otb_session_setup_seconds_count 1",
                "otb_session_setup_seconds_bucket{le=\"0.001\"}",
                "jvm_memory_used_bytes{area=\"heap\"}", "jvm_gc_collection_seconds_sum", "process_open_fds",
                "otb_store_up 1.0", "otb_fleet_services{model=\"v3\",sync=\"behind\"} 0.0",
                "otb_fleet_services{model=\"v2b\",sync=\"behind\"} 1.0", "otb_rollouts{state=\"scheduled\"} 1.0",
                "otb_fleet_tasks{state=\"done\"} 1.0", "otb_rollouts{state=\"aborted\"} 0.0");
    }

    @Test
    void everyDashboardPanelIsWellFormedAndQueriesExposedSeries() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DIST.resolve("grafana/otb-server.json").toFile());
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isPositive();
        assertThat(dashboard.path("templating").path("list").findValuesAsText("name")).contains("datasource");
        Set<Integer> ids = new HashSet<>();
        Set<String> used = new TreeSet<>();
        JsonNode panels = dashboard.path("panels");
        assertThat(panels.size()).isGreaterThanOrEqualTo(10);
        for (JsonNode panel : panels) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("panel id of %s is unique", title).isTrue();
            assertThat(title).isNotBlank();
            assertThat(panel.path("type").asText()).as(title).isIn("timeseries", "stat");
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo("${datasource}");
            JsonNode grid = panel.path("gridPos");
            for (String field : List.of("h", "w", "x", "y")) {
                assertThat(grid.path(field).isInt()).as("%s gridPos.%s", title, field).isTrue();
            }
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as(title).isLessThanOrEqualTo(24);
            assertThat(panel.path("targets").size()).as(title).isPositive();
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("refId").asText()).as(title).isNotBlank();
                String expr = target.path("expr").asText();
                assertThat(expr).as(title).isNotBlank();
                used.addAll(metricNames(expr));
            }
        }
        assertThat(used).as("metrics the dashboard queries").isNotEmpty().allSatisfy(name ->
                assertThat(exposedSeries()).as("/metrics shows %s", name).contains(name));
        assertThat(used).contains("otb_sessions", "otb_fleet_services", "otb_push_applied_seconds_bucket",
                "otb_session_setup_seconds_bucket", "otb_http_requests_total", "otb_rollouts",
                "otb_instance_lease_remaining_seconds", "jvm_memory_used_bytes", "jvm_gc_collection_seconds_sum");
    }

    @Test
    void theAlertRulesPassPromtoolAndTheirUnitTestsAndQueryExposedSeries() throws Exception {
        Path rules = DIST.resolve("prometheus").toAbsolutePath();
        Promtool.Run check = Promtool.run(rules, "", "check", "rules", "otb-alerts.yml");
        assertThat(check.exit()).as(check.output()).isZero();
        Promtool.Run test = Promtool.run(rules, "", "test", "rules", "otb-alerts.test.yml");
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
        Set<String> used = new TreeSet<>();
        Matcher expr = Pattern.compile("(?m)^\\s*expr:\\s*(>\\s*\\n((?:\\s{10,}.*\\n)+)|(.*))").matcher(
                Files.readString(rules.resolve("otb-alerts.yml")));
        int count = 0;
        while (expr.find()) {
            count++;
            used.addAll(metricNames(expr.group(2) != null ? expr.group(2) : expr.group(3)));
        }
        assertThat(count).isEqualTo(8);
        used.removeAll(PROMETHEUS_SERIES);
        assertThat(used).isNotEmpty().allSatisfy(name ->
                assertThat(exposedSeries()).as("/metrics shows %s", name).contains(name));
    }

    /**
     * The sample names of the exposition (histograms as their _bucket, _sum and _count), and the families it declares
     * with no sample yet (otb_rollout_boxes before any rollout).
     */
    static Set<String> exposedSeries() {
        Set<String> names = new HashSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] words = line.split(" ");
                names.add(words[2]);
                if (words[3].equals("histogram") || words[3].equals("summary")) {
                    names.addAll(List.of(words[2] + "_bucket", words[2] + "_sum", words[2] + "_count"));
                }
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                names.add(line.split("[{ ]", 2)[0]);
            }
        }
        return names;
    }

    /** The metric names a PromQL expression reads: names not called as functions, outside labels, strings and ranges. */
    static Set<String> metricNames(String expr) {
        String bare = expr.replaceAll("\"[^\"]*\"", "")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher token = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?").matcher(bare);
        while (token.find()) {
            if (token.group(1) == null && !PROMQL_WORDS.contains(token.group().toLowerCase())) {
                names.add(token.group());
            }
        }
        return names;
    }
}
