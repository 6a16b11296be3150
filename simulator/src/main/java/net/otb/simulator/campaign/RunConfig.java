package net.otb.simulator.campaign;

/**
 * One run of the campaign.
 *
 * @param seed the root of the run's schedule: the same seed gives the same schedule
 * @param store {@code h2} (embedded, in the server's data folder) or {@code postgres} (the campaign's own instance)
 * @param boxes boxes with a service of their own (spares for shipments come on top)
 * @param steps actions of the schedule, order-system calls and faults mixed
 * @param childAgents how many of the boxes run their agent in a JVM of their own (SIGKILL-able)
 */
public record RunConfig(long seed, Store store, int boxes, int steps, int childAgents) {

    /** The store under the server. */
    public enum Store {
        H2, POSTGRES;

        public static Store parse(String value) {
            return switch (value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "h2" -> H2;
                case "postgres", "postgresql" -> POSTGRES;
                default -> throw new IllegalArgumentException("store must be h2 or postgres, got: " + value);
            };
        }

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public RunConfig {
        if (store == null) {
            throw new IllegalArgumentException("a store is required");
        }
        if (boxes < 1 || boxes > 200) {
            throw new IllegalArgumentException("boxes must be between 1 and 200, got " + boxes);
        }
        if (steps < 0 || steps > 100_000) {
            throw new IllegalArgumentException("steps must be between 0 and 100,000, got " + steps);
        }
        if (childAgents < 0 || childAgents > boxes) {
            throw new IllegalArgumentException("child agents must be between 0 and the boxes (" + boxes + "), got "
                    + childAgents);
        }
    }

    /** How many spare v3 boxes the warehouse holds for orders with a box, and one for a revocation. */
    public int spares() {
        return Math.max(2, boxes / 2 + 1);
    }

    /** The command that replays this run alone. */
    public String replayCommand() {
        return "java -jar simulator/target/otb-simulator.jar campaign --runs 1 --seed " + seed + " --store "
                + store.wire() + " --boxes " + boxes + " --steps " + steps + " --child-agents " + childAgents;
    }

    public RunConfig withSeed(long value) {
        return new RunConfig(value, store, boxes, steps, childAgents);
    }
}
