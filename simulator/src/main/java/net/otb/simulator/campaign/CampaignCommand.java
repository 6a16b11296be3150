package net.otb.simulator.campaign;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code simulator campaign}: the randomized fault campaign (docs/reliability.md#fault-campaign). */
@Command(name = "campaign", mixinStandardHelpOptions = true,
        description = "Seeded random schedules of order-system calls and faults over a real server, store and agents;"
                + " checks the invariants of docs/architecture.md#the-store-and-its-invariants after each run. Exit code 0 when no run broke one.")
public final class CampaignCommand implements Callable<Integer> {

    @Option(names = "--seed", description = "the campaign's seed (default: a fresh random one, printed)")
    Long seed;

    @Option(names = "--runs", defaultValue = "1", description = "how many runs (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--store", defaultValue = "h2",
            description = "h2 (embedded) or postgres (a private instance the campaign starts and restarts; needs the "
                    + "PostgreSQL server programs) (default: ${DEFAULT-VALUE})")
    String store;

    @Option(names = "--boxes", defaultValue = "5", description = "boxes with a service each (default: ${DEFAULT-VALUE})")
    int boxes;

    @Option(names = "--steps", defaultValue = "40", description = "actions per run (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--child-agents", defaultValue = "2",
            description = "boxes whose agent runs in a JVM of its own (default: ${DEFAULT-VALUE})")
    int childAgents;

    @Option(names = "--work", description = "the runs' scratch folder (default: a new temporary folder)")
    Path work;

    @Option(names = "--max-minutes", description = "start no run after this many minutes (default: no limit)")
    Integer maxMinutes;

    @Option(names = "--keep", description = "keep every run's folder, not only the failing ones'")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        long root = seed != null ? seed : new SecureRandom().nextLong();
        RunConfig config;
        try {
            config = new RunConfig(root, RunConfig.Store.parse(store), boxes, steps, Math.min(childAgents, boxes));
        } catch (IllegalArgumentException e) {
            System.err.println("campaign: " + e.getMessage());
            return 2;
        }
        Path folder = work != null ? work : java.nio.file.Files.createTempDirectory("otb-campaign-");
        System.out.println("campaign seed " + root + " (" + runs + " runs on " + config.store().wire() + ", work "
                + folder + ")");
        Campaign.Summary summary = new Campaign(config, runs, folder, keep,
                maxMinutes == null ? null : java.time.Duration.ofMinutes(maxMinutes)).run(System.out);
        return summary.passed() ? 0 : 1;
    }
}
