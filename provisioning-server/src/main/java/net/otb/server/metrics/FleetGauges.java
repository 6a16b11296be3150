package net.otb.server.metrics;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet as the store sees it, for dashboards and alerts: services in sync or behind their desired generation by
 * the model of their box, push tasks by state, instance leases (rollouts by state are the rollout driver's), and whether the store answers.
 * The figures come from a few aggregate queries (never a read of every row into memory), run in one transaction at
 * most once per {@link #MAX_AGE_MILLIS} however many families a scrape reads; the same numbers every instance of a
 * cluster shows, so a dashboard takes {@code max} of them across instances (docs/operations.md#metrics).
 */
public final class FleetGauges {

    private static final Logger LOG = LoggerFactory.getLogger(FleetGauges.class);

    /** A scrape reads five families; they share one read of the store. */
    static final long MAX_AGE_MILLIS = 2_000;

    private final Database database;
    private final Clock clock;
    private Read last;

    private record Read(long atMillis, boolean storeUp, Map<String, Long> services, Map<String, Long> tasks,
                        Map<String, Long> leases, long liveInstances) {
    }

    private FleetGauges(Database database) {
        this.database = database;
        this.clock = database.clock();
    }

    /** Registers the fleet's gauges with {@code metrics}, read from {@code database} at each scrape. */
    public static void register(Metrics metrics, Database database) {
        FleetGauges fleet = new FleetGauges(database);
        metrics.gauge("otb_store_up", "1 when the store answers a query, else 0", () -> fleet.read().storeUp() ? 1 : 0);
        metrics.gauges("otb_fleet_services", "services with a box, by the box's model and sync (in_sync, behind: "
                + "the box's applied generation is not the service's desired one)", () -> fleet.read().services());
        metrics.gauges("otb_fleet_tasks", "push tasks, by state (todo, doing, done, error)", () -> fleet.read().tasks());
        metrics.gauge("otb_instances_live", "instances whose lease runs (0 on H2, which has one instance and no lease)",
                () -> fleet.read().liveInstances());
        metrics.gauges("otb_instance_lease_remaining_seconds", "seconds left on each instance's lease (negative: "
                + "expired); only instances seen in the last hour", () -> fleet.read().leases());
    }

    private synchronized Read read() {
        long now = clock.millis();
        if (last != null && now - last.atMillis() < MAX_AGE_MILLIS) {
            return last;
        }
        Read read;
        if (!database.isHealthy()) {
            read = new Read(now, false, Map.of(), Map.of(), Map.of(), 0);
        } else {
            try {
                read = database.inTransaction(tx -> {
                    Map<String, Long> services = new LinkedHashMap<>();
                    tx.query("SELECT d.model, COUNT(*), SUM(CASE WHEN d.applied_service IS NULL OR d.applied_service <> s.name "
                            + "OR d.applied_generation <> s.desired_generation THEN 1 ELSE 0 END) "
                            + "FROM services s JOIN devices d ON d.id = s.device_id GROUP BY d.model", row -> {
                                String model = Metrics.LabelText.escape(row.getString(1));
                                long behind = row.getLong(3);
                                services.put("model=\"" + model + "\",sync=\"in_sync\"", row.getLong(2) - behind);
                                services.put("model=\"" + model + "\",sync=\"behind\"", behind);
                                return null;
                            });
                    Map<String, Long> tasks = new LinkedHashMap<>();
                    for (String state : new String[] {"todo", "doing", "done", "error"}) {
                        tasks.put("state=\"" + state + "\"", 0L);
                    }
                    tx.query("SELECT state, COUNT(*) FROM push_tasks GROUP BY state", row -> tasks.put(
                            "state=\"" + Metrics.LabelText.escape(row.getString(1)) + "\"", row.getLong(2)));
                    Map<String, Long> leases = new LinkedHashMap<>();
                    java.time.Instant at = tx.now();
                    tx.query("SELECT instance_id, lease_until AS lease_until FROM instances WHERE lease_until >= ?", row -> leases.put(
                            "instance_id=\"" + Metrics.LabelText.escape(row.getString(1)) + "\"",
                            (Tx.instant(row, "lease_until").toEpochMilli() - at.toEpochMilli()) / 1000),
                            at.minusSeconds(3600));
                    long live = leases.values().stream().filter(seconds -> seconds >= 0).count();
                    return new Read(now, true, services, tasks, leases, live);
                });
            } catch (RuntimeException e) {
                LOG.debug("event=metrics.fleet.failed error={}", e.toString());
                read = new Read(now, false, Map.of(), Map.of(), Map.of(), 0);
            }
        }
        last = read;
        return read;
    }
}
