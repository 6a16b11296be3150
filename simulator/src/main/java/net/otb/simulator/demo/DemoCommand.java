package net.otb.simulator.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

    @Override
    public Integer call() throws IOException {
        TlsProvider provider;
        try {
            provider = TlsProvider.parse(tls);
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage());
            return 2;
        }
        Path work = Files.createTempDirectory("otb-demo-");
        System.out.println("OverTheBox offer change — demo (scratch folder " + work + ")");
        try {
            new Demo(System.out, work, provider, Clock.systemDefaultZone()).run();
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
