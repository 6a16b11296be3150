package net.otb.simulator.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
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
}
