package net.otb.simulator.campaign;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import net.otb.simulator.bench.LoadAverage;
import net.otb.simulator.lab.Folders;

/**
 * Runs {@code runs} seeded runs one after the other and adds up their figures. Run {@code i} uses the seed
 * {@code seed + i × 0x9E3779B97F4A7C15} (run 0 the seed itself), so a failing run is replayed alone with
 * {@code --runs 1 --seed} its own seed, which it prints.
 */
public final class Campaign {

    /** The figures of a campaign. */
    public record Summary(int runs, int failedRuns, int labErrors, Map<FaultKind, Integer> faults, int migrations,
                          int calls, int violations, Duration took, List<String> failedSeeds) {
        public boolean passed() {
            return failedRuns == 0 && labErrors == 0;
        }
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final RunConfig first;
    private final int runs;
    private final Path work;
    private final boolean keep;
    private final Duration budget;

    /**
     * @param first the first run's settings (its seed is the campaign's)
     * @param work where the runs' folders go; a failing run's folder is kept for the post-mortem
     * @param keep keep every run's folder, passed or not
     */
    public Campaign(RunConfig first, int runs, Path work, boolean keep) {
        this(first, runs, work, keep, null);
    }

    /** @param budget no run starts after this much time (the runs done are reported), or null for none */
    public Campaign(RunConfig first, int runs, Path work, boolean keep, Duration budget) {
        if (runs < 1) {
            throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        }
        this.first = first;
        this.runs = runs;
        this.work = work;
        this.keep = keep;
        this.budget = budget;
    }

    /** The seed of run {@code index}. */
    public static long seedOf(long seed, int index) {
        return seed + index * GOLDEN;
    }

    /** What the finished runs add up to; read by the shutdown hook too, when the campaign is stopped half-way. */
    private static final class Tally {
        private final Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
        private final List<String> failedSeeds = new ArrayList<>();
        private int done;
        private int failed;
        private int labErrors;
        private int migrations;
        private int calls;
        private int violations;

        synchronized void labError(long seed) {
            done++;
            labErrors++;
            failedSeeds.add(Long.toString(seed));
        }

        synchronized void checked(long seed, CampaignRun.Result result) {
            done++;
            result.faults().forEach((kind, n) -> faults.merge(kind, n, Integer::sum));
            migrations += result.migrations();
            calls += result.calls();
            violations += result.violations().size();
            if (!result.passed()) {
                failed++;
                failedSeeds.add(Long.toString(seed));
            }
        }

        synchronized Summary summary(long began) {
            return new Summary(done, failed, labErrors, Map.copyOf(faults), migrations, calls, violations,
                    Duration.ofNanos(System.nanoTime() - began), List.copyOf(failedSeeds));
        }
    }

    public Summary run(PrintStream out) throws Exception {
        long began = System.nanoTime();
        Files.createDirectories(work);
        Tally tally = new Tally();
        // a campaign stopped half-way (SIGTERM, Ctrl-C) reports the runs it finished, and leaves neither its server
        // and agent JVMs behind (only this JVM's own children) nor its PostgreSQL (pg_ctl daemonizes it: not a
        // descendant). The run under way is lost with the processes it used, and is not counted.
        AtomicBoolean stopping = new AtomicBoolean();
        PrivatePostgres[] started = new PrivatePostgres[1];
        Thread reaper = new Thread(() -> {
            stopping.set(true);
            synchronized (out) {
                out.println("campaign stopped: the run under way is dropped; the runs finished:");
                print(tally.summary(began), out, true);
                out.flush();
            }
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
            if (started[0] != null) {
                started[0].close();
            }
        }, "campaign-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        PrivatePostgres postgres = first.store() == RunConfig.Store.POSTGRES ? PrivatePostgres.start(work) : null;
        started[0] = postgres;
        try {
            for (int i = 0; i < runs && !stopping.get(); i++) {
                if (budget != null && System.nanoTime() - began > budget.toNanos()) {
                    out.printf("time budget of %d min reached: %d of %d runs done%n", budget.toMinutes(), i, runs);
                    break;
                }
                RunConfig config = first.withSeed(seedOf(first.seed(), i));
                CampaignRun.Result result;
                try {
                    result = new CampaignRun(config, work, postgres).run(keep);
                } catch (Exception e) {
                    if (stopping.get()) {
                        break;
                    }
                    tally.labError(config.seed());
                    synchronized (out) {
                        out.printf("run %d/%d seed %d: the lab failed (nothing checked): %s%n  replay: %s%n", i + 1,
                                runs, config.seed(), e, config.replayCommand());
                    }
                    continue;
                }
                if (stopping.get()) {
                    break;
                }
                tally.checked(config.seed(), result);
                synchronized (out) {
                    out.printf("run %d/%d seed %d (%s): %d steps, %d calls, %d faults, %d migrations checked, "
                                    + "%d violations, %.1f s%n", i + 1, runs, config.seed(), config.store().wire(),
                            config.steps(), result.calls(),
                            result.faults().values().stream().mapToInt(Integer::intValue).sum(), result.migrations(),
                            result.violations().size(), result.took().toMillis() / 1000.0);
                    if (!result.passed()) {
                        result.violations().forEach(v -> out.println("  VIOLATION " + v));
                        out.println("  FAILED: seed " + config.seed() + "; its folder (server log, store, boxes) is "
                                + "kept in " + result.folder());
                        out.println("  replay: " + config.replayCommand());
                    }
                    out.flush();
                }
            }
        } finally {
            if (postgres != null && !stopping.get()) {
                started[0] = null;
                postgres.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
        Summary summary = tally.summary(began);
        if (stopping.get()) {
            // the hook printed it
            return summary;
        }
        if (!keep && summary.passed()) {
            try (var left = Files.list(work)) {
                if (left.findAny().isEmpty()) {
                    Folders.deleteQuietly(work);
                }
            }
        }
        print(summary, out, false);
        return summary;
    }

    private void print(Summary s, PrintStream out, boolean stopped) {
        out.println("== campaign: seed " + first.seed() + ", store " + first.store().wire() + ", " + first.boxes()
                + " boxes (" + first.childAgents() + " in child JVMs, " + first.spares() + " spares), " + first.steps()
                + " steps per run");
        out.printf("runs %d, failed %d, lab errors %d, order/operator calls %d, migrations checked %d, violations %d%n",
                s.runs(), s.failedRuns(), s.labErrors(), s.calls(), s.migrations(), s.violations());
        StringBuilder kinds = new StringBuilder();
        int total = 0;
        for (FaultKind kind : FaultKind.values()) {
            int n = s.faults().getOrDefault(kind, 0);
            total += n;
            kinds.append(kinds.length() == 0 ? "" : ", ").append(kind.label()).append(' ').append(n);
        }
        out.println("faults injected " + total + ": " + kinds);
        out.printf("took %.1f s (%.1f s per run); load average %s%n", s.took().toMillis() / 1000.0,
                s.took().toMillis() / 1000.0 / Math.max(1, s.runs()), LoadAverage.now());
        if (!s.failedSeeds().isEmpty()) {
            out.println("failed seeds: " + String.join(" ", s.failedSeeds()));
        }
        out.println(stopped ? "STOPPED" : s.passed() ? "PASSED" : "FAILED");
    }
}
