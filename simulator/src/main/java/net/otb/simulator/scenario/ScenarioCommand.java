package net.otb.simulator.scenario;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.lab.Folders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code simulator scenario NAME}: plays one failure scenario and prints its verdict (exit 0 when it passed). */
@Command(name = "scenario", mixinStandardHelpOptions = true,
        description = "Play a failure scenario on an embedded server and a fleet: reconnect-storm, server-restart, cut-links, apply-failures.")
public final class ScenarioCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "reconnect-storm, server-restart, cut-links or apply-failures")
    String name;

    @Option(names = "--devices", defaultValue = "100", description = "boxes in the fleet (default: ${DEFAULT-VALUE})")
    int devices;

    @Option(names = "--tls", defaultValue = "auto", description = "TLS engine of both ends (default: ${DEFAULT-VALUE})")
    String tls;

    @Option(names = "--deadline", defaultValue = "60", description = "seconds each step may take (default: ${DEFAULT-VALUE})")
    int deadline;

    @Override
    public Integer call() throws Exception {
        Scenarios.Name scenario;
        TlsProvider provider;
        try {
            scenario = Scenarios.Name.parse(name);
            provider = TlsProvider.parse(tls);
            if (devices < 1 || devices > 100_000) {
                throw new IllegalArgumentException("--devices must be between 1 and 100000");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("scenario: " + e.getMessage());
            return 2;
        }
        Path work = Files.createTempDirectory("otb-scenario-");
        try (Scenarios scenarios = new Scenarios(System.out, devices, Duration.ofSeconds(deadline))) {
            Scenarios.Verdict verdict = scenarios.play(scenario, work, provider);
            System.out.println();
            System.out.println("VERDICT " + scenario.cli() + ": " + (verdict.passed() ? "PASSED" : "FAILED"));
            verdict.findings().forEach(f -> System.out.println("  - " + f));
            return verdict.passed() ? 0 : 1;
        } finally {
            Folders.deleteQuietly(work);
        }
    }
}
