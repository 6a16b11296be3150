package net.otb.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The facade other modules call: label text, first registration wins, counts read elsewhere exposed as counters. */
class MetricsTest {

    final Metrics metrics = new Metrics();

    @Test
    void aCounterOfLabelTextCountsEachSeriesAndTotalSumsThem() {
        Metrics.Counter outcomes = metrics.counter("otb_test_outcomes_total", "test outcomes");
        outcomes.inc("outcome", "applied");
        outcomes.inc("outcome", "applied");
        outcomes.inc("outcome=\"rejected\",model=\"v3\"");
        outcomes.inc("outcome", "say \"no\"\\n");

        assertThat(metrics.counter("otb_test_outcomes_total", "registered again")).isSameAs(outcomes);
        assertThat(metrics.total("otb_test_outcomes_total")).isEqualTo(4);
        assertThat(metrics.render()).contains("# HELP otb_test_outcomes_total test outcomes",
                "# TYPE otb_test_outcomes_total counter", "otb_test_outcomes_total{outcome=\"applied\"} 2.0",
                "otb_test_outcomes_total{model=\"v3\",outcome=\"rejected\"} 1.0",
                "otb_test_outcomes_total{outcome=\"say \\\"no\\\"\\\\n\"} 1.0");
    }

    @Test
    void aCounterNeverIncrementedShowsZero() {
        metrics.counter("otb_test_idle_total", "never counted");
        assertThat(metrics.render()).contains("otb_test_idle_total 0.0");
    }

    @Test
    void malformedLabelTextIsRefusedAtItsFirstUse() {
        Metrics.Counter counter = metrics.counter("otb_test_bad_total", "bad labels");
        assertThatThrownBy(() -> counter.inc("outcome=applied")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> counter.inc("a=\"1\",a=\"2\"")).hasMessageContaining("named twice");
        assertThatThrownBy(() -> counter.inc("a=\"1")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> metrics.counter("otb test", "no")).hasMessageContaining("not a Prometheus metric name");
    }

    @Test
    void aGaugeNamedTotalIsACountReadElsewhereAndExposedAsACounter() {
        metrics.gauge("otb_test_resumed_total", "resumed sessions", () -> 7);
        metrics.gauge("otb_test_level", "a level", () -> 3);
        metrics.gauge("otb_test_level", "registered again", () -> 99);
        assertThat(metrics.render()).contains("# TYPE otb_test_resumed_total counter", "otb_test_resumed_total 7.0",
                "# TYPE otb_test_level gauge", "otb_test_level 3.0").doesNotContain("otb_test_level 99");
    }

    @Test
    void labeledGaugesAreReadAtEachRender() {
        Map<String, Long> series = new LinkedHashMap<>();
        series.put("rollout=\"3\",state=\"applied\"", 2L);
        metrics.gauges("otb_test_boxes", "boxes by state", () -> series);
        assertThat(metrics.render()).contains("otb_test_boxes{rollout=\"3\",state=\"applied\"} 2.0");
        series.put("rollout=\"3\",state=\"applied\"", 5L);
        assertThat(metrics.render()).contains("otb_test_boxes{rollout=\"3\",state=\"applied\"} 5.0");
    }

    @Test
    void histogramsHaveTheirBucketsAndTheEventsCountersStartAtZero() {
        metrics.pushApplied(0.02);
        metrics.sessionSetup(0.003);
        metrics.httpRequest("GET", "/1.0/x/{a}", 200);
        String text = metrics.render();
        assertThat(text).contains("otb_push_applied_seconds_bucket{le=\"0.01\"} 0", "otb_push_applied_seconds_bucket{le=\"0.025\"} 1",
                "otb_push_applied_seconds_bucket{le=\"60.0\"} 1", "otb_session_setup_seconds_bucket{le=\"0.0025\"} 0",
                "otb_session_setup_seconds_bucket{le=\"0.005\"} 1", "otb_acks_total{status=\"rolledBack\"} 0.0",
                "otb_http_requests_total{method=\"GET\",route=\"/1.0/x/{a}\",status=\"200\"} 1.0",
                "jvm_threads_current");
        assertThat(metrics.total("otb_http_requests_total")).isEqualTo(1);
    }
}
