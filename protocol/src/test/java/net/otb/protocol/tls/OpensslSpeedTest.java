package net.otb.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class OpensslSpeedTest {

    private static final String OUTPUT = """
            version: 3.0.19
            CPUINFO: OPENSSL_ia32cap=0xfffa3203078bffff:0x400684219c07ab
                                          sign    verify    sign/s verify/s
             256 bits ecdsa (nistp256)   0.0000s   0.0001s  33191.7  11190.5
                                          op      op/s
             256 bits ecdh (nistp256)   0.0001s  14869.9
            """;

    @Test
    void parsesTheP256FiguresAndComputesTheHandshakeBound() {
        OpensslSpeed speed = OpensslSpeed.parse(OUTPUT);

        assertThat(speed.signPerSecond()).isEqualTo(33191.7);
        assertThat(speed.verifyPerSecond()).isEqualTo(11190.5);
        assertThat(speed.ecdhPerSecond()).isEqualTo(14869.9);
        double expected = 1 / (2 / 33191.7 + 2 / 11190.5 + 1 / 14869.9);
        assertThat(speed.handshakesPerCoreSecond()).isCloseTo(expected, within(0.001));
        assertThat(speed.simpleHandshakesPerCoreSecond())
                .isCloseTo(1 / (1 / 33191.7 + 1 / 11190.5 + 2 / 14869.9), within(0.001));
        assertThat(speed.resumedHandshakesPerCoreSecond()).isCloseTo(1 / (1 / 33191.7 + 1 / 14869.9), within(0.001));
    }

    @Test
    void parsesTheMachineReadableOutput() {
        OpensslSpeed speed = OpensslSpeed.parse("+DT:ecdsa:3:256\n+F4:3:256:30866.666667:10600.000000\n"
                + "+F5:3:256:16290.909091:0.000061\n");

        assertThat(speed.signPerSecond()).isEqualTo(30866.666667);
        assertThat(speed.verifyPerSecond()).isEqualTo(10600.0);
        assertThat(speed.ecdhPerSecond()).isEqualTo(16290.909091);
    }

    @Test
    void outputWithoutTheFiguresIsRefused() {
        assertThatThrownBy(() -> OpensslSpeed.parse("speed: unknown algorithm")).hasMessageContaining("P-256");
    }
}
