package net.otb.simulator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadAverageTest {

    @Test
    void readsTheThreeAveragesOfAProcLoadavgLine() {
        LoadAverage load = LoadAverage.parse("0.52 1.61 12.80 3/234 5678\n");

        assertThat(load).isEqualTo(new LoadAverage(0.52, 1.61, 12.80));
        assertThat(load).hasToString("0.52, 1.61, 12.80");
    }

    @Test
    void aLineWithoutThreeNumbersIsRefusedWithTheLine() {
        assertThatThrownBy(() -> LoadAverage.parse("0.52 high 0.80 1/2 3"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.52 high");
        assertThatThrownBy(() -> LoadAverage.parse("0.52"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("three numbers");
    }

    @Test
    void anUnknownAverageSaysSo() {
        assertThat(new LoadAverage(-1, -1, -1)).hasToString("unknown");
        assertThat(new LoadAverage(1.5, -1, -1)).hasToString("1.50 (1 min)");
    }
}
