package net.otb.simulator.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command runs to completion: both journeys, same IPs, the old box decommissioned, refunds. */
class DemoTest {

    @TempDir
    Path work;

    @Test
    void bothJourneysOfTheGuideCompleteOnTheRealServerAndAgents() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        List<SummaryRow> rows = new Demo(out, work, TlsProvider.AUTO, Clock.systemDefaultZone()).run();

        assertThat(rows).hasSize(2);
        SummaryRow noBox = rows.get(0);
        assertThat(noBox.serviceName()).isEqualTo(Demo.STARTER_SERVICE);
        assertThat(noBox.oldOffer()).isEqualTo("starter.v1");
        assertThat(noBox.newOffer()).isEqualTo("business.v1");
        assertThat(noBox.ipBefore()).isEqualTo(Demo.STARTER_IP);
        assertThat(noBox.ipKept()).isTrue();
        assertThat(noBox.refund()).endsWith("€");

        SummaryRow withBox = rows.get(1);
        assertThat(withBox.oldOffer()).isEqualTo("plus.v1");
        assertThat(withBox.newOffer()).isEqualTo("starter.v1");
        assertThat(withBox.box()).isEqualTo("OTB2B-000102 → OTB3-000201");
        assertThat(withBox.ipAfter()).isEqualTo(Demo.LEGACY_IP);
        assertThat(withBox.ipKept()).isTrue();
        assertThat(withBox.effectiveDate()).isNotEqualTo("-");
        assertThat(withBox.refund()).endsWith("€");

        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("contract to accept", "purchase order #1", "billing: order #1 paid",
                "server confirmed generation", "OTB2B-000102: decommissioned", "prorata refund", "== Summary");
        // as the API says (hardwareRequired): the current offer again only with a new box, another one with or without
        assertThat(printed).containsPattern("- starter\\.v1 .*/month  \\(only with a new box: ")
                .containsPattern("- business\\.v1 .*/month  \\(optional box: ");
    }

    @Test
    void withTheServersClockOn29FebruaryBothChangesRefundOneDayOf29() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Clock real = Clock.systemDefaultZone();
        Clock leapDay = Clock.offset(real, Duration.between(real.instant(), Instant.parse("2028-02-29T10:00:00Z")));

        List<SummaryRow> rows = new Demo(out, work, TlsProvider.AUTO, real, leapDay).run();

        assertThat(rows).extracting(SummaryRow::effectiveDate).containsExactly("2028-02-29", "2028-02-29");
        // 1999 × 1 / 29 = 68.93 → 0.69 €; 2999 × 1 / 29 = 103.41 → 1.03 €
        assertThat(rows).extracting(SummaryRow::refund).containsExactly("0.69 €", "1.03 €");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("for 1 of 29 days of starter.v1");
    }
}
