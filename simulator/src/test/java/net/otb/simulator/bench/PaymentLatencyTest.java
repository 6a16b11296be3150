package net.otb.simulator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.hardware.BoxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A few changes through the real server, HTTP API, gateway and agent: every stage is timed and in causal order. */
class PaymentLatencyTest {

    @TempDir
    Path work;

    @Test
    void everyMeasuredChangeIsTimedFromThePaymentToTheServersConfirm() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PaymentLatency.Settings settings = new PaymentLatency.Settings(4, 1, List.of(BoxModel.V3), TlsProvider.AUTO,
                true, Duration.ofSeconds(10));

        PaymentLatency.Report report = new PaymentLatency(settings, out, work, Clock.systemUTC()).run();

        assertThat(report.timelines()).hasSize(4).allSatisfy(t -> {
            assertThat(t.model()).isEqualTo(BoxModel.V3);
            // the simulated shaper alone takes the model's reprogramming time
            assertThat(Timeline.Stage.SHAPER.nanos(t)).isGreaterThanOrEqualTo(Duration.ofMillis(14).toNanos());
            assertThat(t.confirmed()).isGreaterThan(t.applied());
        });
        LatencyCommand.print(report, settings, out);
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .contains("1 box(es)", "PAYMENT → AGENT APPLIED", "budget (docs/architecture.md#budgets)");
    }
}
