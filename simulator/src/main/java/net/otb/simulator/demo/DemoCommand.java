package net.otb.simulator.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.lab.Folders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code simulator demo}: the guide's two journeys, end to end, in well under a minute. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start an embedded server and simulated boxes, then play the guide's offer changes over the real API.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--tls", defaultValue = "auto", description = "TLS engine of both ends: auto, openssl, jdk (default: ${DEFAULT-VALUE})")
    String tls;

    @Option(names = "--keep", description = "keep the scratch folder (database, PKI) instead of deleting it")
    boolean keep;

    @Option(names = "--clock-start", paramLabel = "INSTANT",
            description = "DEV ONLY: the server's clock starts at this ISO-8601 instant (e.g. 2028-02-29T10:00:00Z, a "
                    + "refund on 29 February) and runs from there; the boxes and certificates keep the real time")
    String clockStart;

    @Override
    public Integer call() throws IOException {
        TlsProvider provider;
        try {
            provider = TlsProvider.parse(tls);
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage());
            return 2;
        }
        Clock real = Clock.systemDefaultZone();
        Clock serverClock = real;
        if (clockStart != null) {
            try {
                serverClock = Clock.offset(real, Duration.between(real.instant(), Instant.parse(clockStart)));
            } catch (DateTimeParseException e) {
                System.err.println("demo: --clock-start must be an ISO-8601 instant such as 2028-02-29T10:00:00Z, got "
                        + clockStart);
                return 2;
            }
        }
        Path work = Files.createTempDirectory("otb-demo-");
        System.out.println("OverTheBox offer change — demo (scratch folder " + work + ")");
        if (clockStart != null) {
            System.out.println("DEV ONLY: the server's clock starts at " + clockStart + " (boxes and certificates: real time)");
        }
        try {
            new Demo(System.out, work, provider, real, serverClock).run();
            return 0;
        } catch (DemoFailure e) {
            System.out.flush();
            System.err.println();
            System.err.println("DEMO FAILED: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("DEMO FAILED: interrupted");
            return 1;
        } finally {
            if (!keep) {
                Folders.deleteQuietly(work);
            }
        }
    }
}
