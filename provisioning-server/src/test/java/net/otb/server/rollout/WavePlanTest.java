package net.otb.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WavePlanTest {

    @Test
    void aCanaryOfBoxesThenWavesGrowingByTheFactorTheLastOneShort() {
        assertThat(WavePlan.sizes(20, 2, null, 2.0)).containsExactly(2, 4, 8, 6);
    }

    @Test
    void aCanaryPercentIsRoundedUpAndNeverEmpty() {
        assertThat(WavePlan.sizes(200, null, 10, 2.0)).containsExactly(20, 40, 80, 60);
        assertThat(WavePlan.sizes(7, null, 10, 3.0)).containsExactly(1, 3, 3);
        assertThat(WavePlan.sizes(1, null, 1, 2.0)).containsExactly(1);
    }

    @Test
    void aFactorOfOneKeepsTheWavesEqualAndASmallFactorStillGrows() {
        assertThat(WavePlan.sizes(10, 3, null, 1.0)).containsExactly(3, 3, 3, 1);
        assertThat(WavePlan.sizes(6, 1, null, 1.1)).containsExactly(1, 2, 3);
    }

    @Test
    void aCanaryLargerThanTheTargetIsOneWave() {
        assertThat(WavePlan.sizes(5, 50, null, 2.0)).containsExactly(5);
        assertThatThrownBy(() -> WavePlan.sizes(0, 1, null, 2.0)).isInstanceOf(IllegalArgumentException.class);
    }
}
