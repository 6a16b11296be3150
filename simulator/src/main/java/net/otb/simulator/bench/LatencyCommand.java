package net.otb.simulator.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.Folders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code simulator latency}: the docs/architecture.md#budgets budget "one device, payment → applied on loopback, simulated backend:
 * p50 ≤ 50 ms", measured with {@link PaymentLatency} and printed stage by stage.
 */
@Command(name = "latency", mixinStandardHelpOptions = true,
        description = "Embedded server and one box per model; time billing's payment → the box applied, change after change.")
public final class LatencyCommand implements java.util.concurrent.Callable<Integer> {

    static final double BUDGET_P50_MS = 50;

    @Option(names = "--samples", defaultValue = "300", description = "measured changes (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--warmup", defaultValue = "1000",
            description = "changes made first, not counted: the JIT compiles the path for the first ~1,000 (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--models", defaultValue = "v2b,v2c,v3", split = ",",
            description = "one box per model, samples round-robin over them (default: ${DEFAULT-VALUE})")
    List<String> models;

    @Option(names = "--tls", defaultValue = "auto", description = "TLS engine of both ends: auto, openssl, jdk (default: ${DEFAULT-VALUE})")
    String tls;

    @Option(names = "--agent-state-on-disk",
            description = "the agents save their state to files (write, fsync, rename) as a box does, not in memory")
    boolean agentStateOnDisk;

    @Option(names = "--work", description = "folder for the server's H2 database and PKI (default: a new temporary folder, deleted after)")
    Path work;

    @Override
    public Integer call() throws IOException {
        PaymentLatency.Settings settings;
        try {
            List<BoxModel> boxModels = new ArrayList<>();
            for (String model : models) {
                boxModels.add(BoxModel.parse(model));
            }
            settings = new PaymentLatency.Settings(samples, warmup, boxModels, TlsProvider.parse(tls), agentStateOnDisk,
                    Duration.ofSeconds(10));
        } catch (IllegalArgumentException e) {
            System.err.println("latency: " + e.getMessage());
            return 2;
        }
        boolean scratch = work == null;
        Path folder = scratch ? Files.createTempDirectory("otb-latency-") : Files.createDirectories(work);
        PrintStream out = System.out;
        out.printf("payment → applied: %d samples after %d warm-up changes, boxes %s, agent state %s, %d cores, started %s%n",
                samples, warmup, String.join(",", models), agentStateOnDisk ? "on disk" : "in memory",
                Runtime.getRuntime().availableProcessors(),
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        try {
            PaymentLatency.Report report = new PaymentLatency(settings, out, folder, Clock.systemDefaultZone()).run();
            return print(report, settings, out) ? 0 : 1;
        } catch (PaymentLatency.LatencyFailure e) {
            out.flush();
            System.err.println("LATENCY BENCH FAILED: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println("LATENCY BENCH FAILED: interrupted");
            return 1;
        } finally {
            if (scratch) {
                Folders.deleteQuietly(folder);
            }
        }
    }

    /** Prints the figures; returns whether the budget is met. */
    static boolean print(PaymentLatency.Report report, PaymentLatency.Settings settings, PrintStream out) {
        out.println();
        out.printf("%d samples (warm-up of %d excluded), TLS %s; load average before %s, after %s%n",
                report.timelines().size(), settings.warmup(), report.tls(), report.loadBefore(), report.loadAfter());
        out.printf("CPU of this process (server, agents, HTTP client) per change, quote and order included: %.1f ms%n", report.cpuMillisPerChange());
        out.printf("%-36s %9s %9s %9s %9s%n", "stage (ms)", "p50", "p95", "p99", "max");
        for (Timeline.Stage stage : Timeline.Stage.values()) {
            row(out, stage.label(), report.summary(stage));
        }
        boolean met = true;
        List<String> verdicts = new ArrayList<>();
        if (settings.models().size() > 1) {
            out.println("payment → agent applied, by box model:");
        }
        for (BoxModel model : settings.models()) {
            Latencies.Summary s = report.payToApplied(model);
            if (settings.models().size() > 1) {
                row(out, "  " + model.wireName() + " (shaper " + model.applyMillis() + " ms)", s);
            }
            met &= s.p50Ms() <= BUDGET_P50_MS;
            verdicts.add(String.format("%s %.1f ms", model.wireName(), s.p50Ms()));
        }
        out.printf("budget (docs/architecture.md#budgets) payment → applied p50 ≤ %.0f ms on every box model: %s (p50 %s)%n",
                BUDGET_P50_MS, met ? "MET" : "NOT MET", String.join(", ", verdicts));
        return met;
    }

    private static void row(PrintStream out, String label, Latencies.Summary s) {
        out.printf("%-36s %9.1f %9.1f %9.1f %9.1f%n", label, s.p50Ms(), s.p95Ms(), s.p99Ms(), s.maxMs());
    }
}
