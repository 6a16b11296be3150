package net.otb.simulator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import net.otb.simulator.hardware.BoxModel;
import org.junit.jupiter.api.Test;

class TimelineTest {

    private static final long MS = 1_000_000L;

    @Test
    void eachStageIsTheStretchBetweenItsTwoInstants() {
        // paid at 100 ms, committed 8 ms later, answered at 112, pushed at 111, shaped 30 ms later, applied, confirmed
        Timeline t = new Timeline(BoxModel.V2C, 100 * MS, 112 * MS, 108 * MS, 111 * MS, 141 * MS, 142 * MS, 150 * MS);

        assertThat(Timeline.Stage.PAY_TO_COMMIT.nanos(t)).isEqualTo(8 * MS);
        assertThat(Timeline.Stage.PAY_TO_ANSWER.nanos(t)).isEqualTo(12 * MS);
        assertThat(Timeline.Stage.COMMIT_TO_PUSH.nanos(t)).isEqualTo(3 * MS);
        assertThat(Timeline.Stage.SHAPER.nanos(t)).isEqualTo(30 * MS);
        assertThat(Timeline.Stage.SHAPER_TO_APPLIED.nanos(t)).isEqualTo(1 * MS);
        assertThat(Timeline.Stage.PAY_TO_APPLIED.nanos(t)).isEqualTo(42 * MS);
        assertThat(Timeline.Stage.PAY_TO_APPLIED_LESS_SHAPER.nanos(t)).isEqualTo(12 * MS);
        assertThat(Timeline.Stage.APPLIED_TO_CONFIRM.nanos(t)).isEqualTo(8 * MS);
        assertThat(Timeline.Stage.PAY_TO_CONFIRM.nanos(t)).isEqualTo(50 * MS);
    }

    @Test
    void aStageSummaryTakesItsPercentilesOverEveryTimeline() {
        List<Timeline> timelines = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            long paid = i * 1_000 * MS;
            // payment → applied of sample i is i ms
            timelines.add(new Timeline(BoxModel.V3, paid, paid + i * MS, paid, paid, paid, paid + i * MS,
                    paid + i * MS));
        }

        Latencies.Summary summary = Timeline.Stage.PAY_TO_APPLIED.summary(timelines);

        assertThat(summary.count()).isEqualTo(100);
        assertThat(summary.p50Ms()).isEqualTo(50.0);
        assertThat(summary.p99Ms()).isEqualTo(99.0);
        assertThat(summary.maxMs()).isEqualTo(100.0);
    }

    @Test
    void instantsOutOfCausalOrderAreRefused() {
        // the box cannot apply before the server committed the change
        assertThatThrownBy(() -> new Timeline(BoxModel.V3, 100, 120, 110, 105, 130, 131, 140))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("causal order");
        // the HTTP answer races the push, so answered before pushed is fine
        assertThat(new Timeline(BoxModel.V3, 100, 111, 110, 115, 130, 131, 140).pushed()).isEqualTo(115);
    }
}
