package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HtbRateTest {

    @Test
    void lowRatesKeepTwoFullFramesOfBurst() {
        assertThat(HtbRate.of(20_000)).isEqualTo(new HtbRate(20_000, 3_200, 3_200));
        assertThat(HtbRate.of(1)).isEqualTo(new HtbRate(1, 3_200, 3_200));
    }

    @Test
    void burstIsOneMillisecondAtTheRateAndQuantumStopsAtTheKernelsClamp() {
        assertThat(HtbRate.of(40_000)).isEqualTo(new HtbRate(40_000, 5_000, 5_000));
        assertThat(HtbRate.of(500_000)).isEqualTo(new HtbRate(500_000, 62_500, 62_500));
        assertThat(HtbRate.of(1_000_000)).isEqualTo(new HtbRate(1_000_000, 125_000, 125_000));
        assertThat(HtbRate.of(2_000_000)).isEqualTo(new HtbRate(2_000_000, 250_000, 200_000));
    }

    @Test
    void classOptionsAreWhatTcTakes() {
        assertThat(HtbRate.of(20_000).classOptions()).containsExactly("rate", "20000kbit", "ceil", "20000kbit",
                "burst", "3200", "cburst", "3200", "quantum", "3200");
    }

    @Test
    void ratesOutsideTheProfilesRangeAreRefused() {
        assertThatThrownBy(() -> HtbRate.of(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HtbRate.of(100_000_001)).isInstanceOf(IllegalArgumentException.class);
    }
}
