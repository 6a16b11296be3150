package net.otb.server.rollout;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.LogSafe;
import net.otb.server.desired.AuditLog;
import net.otb.server.desired.DesiredProfile;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.desired.DesiredStateException;
import net.otb.server.device.Service;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import net.otb.protocol.logging.LogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the open rollouts, one {@link #tick()} at a time: each rollout in a transaction of its own, its row locked,
 * under a lease ({@code lease_owner}, {@code lease_until}) so that one instance drives it at a time; another takes it
 * over once the lease has expired. A tick starts what is due, counts the answers of the boxes already pushed (their
 * push tasks and applied reports), aborts by the rollout's rules, closes a finished wave, and pushes the next boxes of
 * the current wave within the rate, through the engine's bulk path. Everything it knows is in the store, so a restart
 * resumes where the last commit left. Every step is an audit event by {@code rollout:ID}. Time is the injected clock's
 * (through the transactions); thread-safe, though ticks are meant to come from one thread.
 */
public final class RolloutDriver implements AutoCloseable {

    /**
     * @param tick how often the open rollouts are driven
     * @param lease how long a rollout stays this instance's after its last tick
     */
    public record Settings(Duration tick, Duration lease) {
        public Settings {
            if (tick == null || tick.toMillis() < 10 || tick.toHours() > 1) {
                throw new IllegalArgumentException("the rollout tick must be between 10 ms and 1 h, got " + tick);
            }
            if (lease == null || lease.compareTo(tick.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("the rollout lease must be at least two ticks, got " + lease);
            }
        }

        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(1), Duration.ofSeconds(30));
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(RolloutDriver.class);

    /** Most boxes pushed by one tick of one rollout: one bulk transaction. */
    static final int MAX_PUSH_PER_TICK = 1_000;

    /** How often the fleet-wide gauges (push tasks in error, services out of sync) are counted again. */
    static final Duration FLEET_GAUGES_EVERY = Duration.ofSeconds(5);

    /** How long a finished rollout's box counts stay in {@code /metrics}. */
    static final Duration METRICS_RETENTION = Duration.ofDays(1);

    private final Database database;
    private final Rollouts rollouts;
    private final Services services;
    private final DesiredStateEngine engine;
    private final AuditLog audit;
    private volatile String instanceId;
    private final Settings settings;
    private final java.util.concurrent.atomic.AtomicLong ticks = new java.util.concurrent.atomic.AtomicLong();
    private volatile Map<String, Long> gauges = Map.of();
    private volatile Map<String, Long> rolloutsByState = Map.of();
    /** Push tasks in error, services out of sync: fleet aggregates, read at most every {@link #FLEET_GAUGES_EVERY}. */
    private volatile long[] fleetGauges = {0, 0};
    private volatile Instant fleetGaugesAt;
    private ScheduledExecutorService executor;

    public RolloutDriver(Database database, Rollouts rollouts, Services services, DesiredStateEngine engine,
                         AuditLog audit, Metrics metrics, String instanceId, Settings settings) {
        this.database = database;
        this.rollouts = rollouts;
        this.services = services;
        this.engine = engine;
        this.audit = audit;
        this.instanceId = instanceId;
        this.settings = settings;
        metrics.gauges("otb_rollout_boxes", "boxes of each open or recent rollout, by state", () -> gauges);
        metrics.gauges("otb_rollouts", "rollouts by state, every state listed (the ended ones since the store began: "
                + "alert on an increase of aborted)", () -> rolloutsByState);
        metrics.gauge("otb_push_tasks_error", "push tasks in error: a box rejected a profile or kept rolling it back",
                () -> fleetGauges[0]);
        metrics.gauge("otb_services_out_of_sync", "services bound to a box that does not run their desired generation",
                () -> fleetGauges[1]);
    }

    /** The name this instance holds leases under. */
    /** Names this driver's leases after its server instance; before {@link #start}. */
    public void instanceId(String id) {
        this.instanceId = id;
    }

    public String instanceId() {
        return instanceId;
    }

    /** Ticks every {@link Settings#tick()} on a thread of its own until {@link #close()}. */
    public synchronized void start() {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "otb-rollouts");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::tickQuietly, settings.tick().toMillis(), settings.tick().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("rollout tick failed: {}", e.toString());
        }
    }

    /**
     * Drives every scheduled or running rollout once, each in its own transaction; a rollout that fails is logged and
     * tried again next tick.
     *
     * @return how many rollouts this instance drove (held the lease of)
     */
    public int tick() {
        List<Long> open = database.inTransaction(rollouts::drivable);
        int driven = 0;
        for (long id : open) {
            try {
                if (database.inTransaction(tx -> drive(tx, id))) {
                    driven++;
                }
            } catch (RuntimeException e) {
                LOG.warn("event=rollout.tick_failed rollout={} instance={} error={}", id, LogFields.value(instanceId),
                    LogFields.value(e.toString()));
            }
        }
        try {
            // push errors that a later applied generation put right (a revert, a take-back) leave the error list
            database.inTransaction(engine::closeErrorsSupersededByApplied);
        } catch (RuntimeException e) {
            LOG.warn("event=rollout.close_superseded_errors_failed instance={} error={}", LogFields.value(instanceId),
                    LogFields.value(e.toString()));
        }
        refreshGauges();
        ticks.incrementAndGet();
        return driven;
    }

    /** How many ticks have ended, for a test or a lab that waits for the driver to have looked again. */
    public long ticks() {
        return ticks.get();
    }

    /** Stops ticking and releases this instance's leases, so that another instance takes over at once. */
    @Override
    public void close() {
        synchronized (this) {
            if (executor != null) {
                executor.shutdownNow();
                try {
                    executor.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                executor = null;
            }
        }
        try {
            database.inTransaction(tx -> tx.update("UPDATE rollouts SET lease_owner = NULL, lease_until = NULL "
                    + "WHERE lease_owner = ?", instanceId));
        } catch (RuntimeException e) {
            LOG.info("rollout leases of {} not released (they expire): {}", instanceId, e.toString());
        }
    }

    /** One rollout's step; false when it is not this instance's to drive now. */
    boolean drive(Tx tx, long id) throws SQLException {
        Rollout r = rollouts.lock(tx, id);
        if (r.state() != RolloutState.SCHEDULED && r.state() != RolloutState.RUNNING) {
            return false;
        }
        Instant now = tx.now();
        if (r.leaseOwner() != null && !r.leaseOwner().equals(instanceId) && r.leaseUntil() != null
                && r.leaseUntil().isAfter(now)) {
            return false;
        }
        if (r.state() == RolloutState.SCHEDULED && r.startAt().isAfter(now)) {
            return false;
        }
        if (!instanceId.equals(r.leaseOwner())) {
            audit.append(tx, r.driverActor(), "rollout.leased", null, null, null, "rollout " + id + ": driven by instance "
                    + instanceId + (r.leaseOwner() == null ? "" : ", after " + r.leaseOwner() + "'s lease expired"));
        }
        tx.update("UPDATE rollouts SET lease_owner = ?, lease_until = ? WHERE id = ?", instanceId,
                now.plus(settings.lease()), id);
        if (r.state() == RolloutState.SCHEDULED) {
            tx.update("UPDATE rollouts SET state = ?, started_at = ?, current_wave = 1, updated_at = ? WHERE id = ?",
                    RolloutState.RUNNING, now, now, id);
            audit.append(tx, r.driverActor(), "rollout.started", null, null, null, "rollout " + id + ": " + r.boxes()
                    + " boxes to " + r.offer() + " in " + r.waves() + " waves");
            r = rollouts.lock(tx, id);
        }
        int w = r.currentWave();
        WaveRow wave = tx.queryOne("SELECT size, state, started_at, deadline_at FROM rollout_waves WHERE rollout_id = ? "
                + "AND wave = ?", row -> new WaveRow(row.getInt(1), row.getString(2), Tx.instant(row, "started_at"),
                Tx.instant(row, "deadline_at")), id, w).orElseThrow(() -> new SQLException("rollout " + id
                + " has no wave " + w));
        if (wave.state().equals("pending")) {
            wave = new WaveRow(wave.size(), "running", now, now.plus(r.waveTimeout()));
            tx.update("UPDATE rollout_waves SET state = 'running', started_at = ?, deadline_at = ? WHERE rollout_id = ? "
                    + "AND wave = ?", now, wave.deadlineAt(), id, w);
            audit.append(tx, r.driverActor(), "rollout.waveStarted", null, null, null, "rollout " + id + ": wave " + w
                    + " of " + r.waves() + " (" + wave.size() + " boxes)");
        }
        rollouts.refresh(tx, r.id(), w);
        Map<String, Long> counts = waveCounts(tx, id, w);
        long failed = counts.get(BoxState.FAILED.wire());
        long considered = wave.size() - counts.get(BoxState.SKIPPED.wire()) - counts.get(BoxState.SUPERSEDED.wire());
        if (failed > 0 && failed * 100 > (long) r.abortFailurePercent() * considered) {
            String detail = "wave " + w + ": " + failed + " of " + considered + " boxes failed ("
                    + (failed * 100 / Math.max(1, considered)) + " %), more than " + r.abortFailurePercent() + " %";
            abort(tx, r, detail, counts);
            return true;
        }
        long unfinished = counts.get(BoxState.PENDING.wire()) + counts.get(BoxState.PUSHED.wire());
        if (unfinished == 0) {
            tx.update("UPDATE rollout_waves SET state = 'done', finished_at = ? WHERE rollout_id = ? AND wave = ?",
                    now, id, w);
            audit.append(tx, r.driverActor(), "rollout.waveCompleted", null, null, null, "rollout " + id + ": wave " + w
                    + " done, " + nonZero(counts));
            if (w >= r.waves()) {
                rollouts.finish(tx, r, RolloutState.COMPLETED, null);
                audit.append(tx, r.driverActor(), "rollout.completed", null, null, null, "rollout " + id + ": "
                        + nonZero(rollouts.boxCounts(tx, id)));
            } else {
                tx.update("UPDATE rollouts SET current_wave = ?, updated_at = ? WHERE id = ?", w + 1, now, id);
            }
            return true;
        }
        if (now.isAfter(wave.deadlineAt())) {
            abort(tx, r, "wave " + w + " not finished " + r.waveTimeout().toSeconds() + " s after it started ("
                    + nonZero(counts) + ")", counts);
            return true;
        }
        try {
            push(tx, r, w, counts.get(BoxState.PENDING.wire()), now);
        } catch (DesiredStateException e) {
            // the engine refuses before it writes (e.g. the offer left the catalog): retrying every tick would not help
            abort(tx, r, "wave " + w + ": the offer change is refused: " + e.getMessage(), counts);
        }
        return true;
    }

    private record WaveRow(int size, String state, Instant startedAt, Instant deadlineAt) {
    }

    private void abort(Tx tx, Rollout r, String detail, Map<String, Long> counts) throws SQLException {
        rollouts.finish(tx, r, RolloutState.ABORTED, detail);
        audit.append(tx, r.driverActor(), "rollout.aborted", null, null, null, "rollout " + r.id() + ": " + detail
                + "; boxes not reached stay as they were, the change of those that had not applied it is taken back");
        LOG.info("event=rollout.aborted rollout={} instance={} detail={}", r.id(), LogFields.value(instanceId),
                LogFields.value(detail));
    }

    private void push(Tx tx, Rollout r, int w, long pending, Instant now) throws SQLException {
        if (pending == 0) {
            return;
        }
        // the rate (docs/operations.md#staged-rollouts): a token bucket kept in the rollout's row
        TokenBucket bucket = tx.queryOne("SELECT rate_tokens, rate_at FROM rollouts WHERE id = ?", row -> {
            double tokens = row.getDouble(1);
            Instant at = row.wasNull() ? null : Tx.instant(row, "rate_at");
            return java.util.Optional.ofNullable(at == null ? null : new TokenBucket(tokens, at));
        }, r.id()).flatMap(b -> b).orElse(null);
        bucket = bucket == null ? TokenBucket.start(r.maxPerMinute(), now) : bucket.refill(r.maxPerMinute(), now);
        long allowed = Math.min(Math.min(pending, MAX_PUSH_PER_TICK), bucket.available());
        if (allowed == 0) {
            tx.update("UPDATE rollouts SET rate_tokens = ?, rate_at = ? WHERE id = ?", bucket.tokens(), bucket.at(),
                    r.id());
            return;
        }
        List<Rollouts.RolloutBox> next = rollouts.boxes(tx, r.id(), w, BoxState.PENDING, (int) allowed);
        Map<String, Service> locked = new HashMap<>();
        for (Service s : services.lockAll(tx, next.stream().map(Rollouts.RolloutBox::serviceName).toList())) {
            locked.put(s.name(), s);
        }
        // an order opened on a service since the rollout was created wins: the service's row is locked above, and an
        // order locks it too before it opens its migration, so the two never interleave
        java.util.Set<String> ordered = new java.util.HashSet<>(tx.query("SELECT open_service FROM migrations "
                + "WHERE open_service = ANY(?)", row -> row.getString(1), tx.textArray(locked.keySet())));
        List<String> names = new ArrayList<>();
        Map<String, String> previous = new HashMap<>();
        List<Object[]> skipped = new ArrayList<>();
        for (Rollouts.RolloutBox box : next) {
            Service s = locked.get(box.serviceName());
            String why = s == null ? "the service no longer exists"
                    : s.status() != ServiceStatus.ACTIVE ? "the service is " + s.status().wire()
                    : !box.deviceId().equals(s.deviceId()) ? "the service moved to box " + s.deviceId()
                    : s.offer().equals(r.offer()) ? "the service is on " + r.offer() + " already"
                    : ordered.contains(s.name()) ? "an order is open on the service (left to the order system)" : null;
            if (why != null) {
                skipped.add(new Object[] {now, why, r.id(), box.serviceName()});
            } else {
                names.add(box.serviceName());
                previous.put(box.serviceName(), s.offer());
            }
        }
        tx.batch("UPDATE rollout_boxes SET state = 'skipped', finished_at = ?, detail = ? WHERE rollout_id = ? "
                + "AND service_name = ?", skipped);
        if (!names.isEmpty()) {
            DesiredStateEngine.OfferChanges changes = engine.setDesiredOffers(tx, names, r.offer(), r.driverActor());
            List<Object[]> pushed = new ArrayList<>(names.size());
            for (DesiredProfile p : changes.profiles()) {
                pushed.add(new Object[] {previous.get(p.serviceName()), p.generation(), now, r.id(), p.serviceName()});
            }
            tx.batch("UPDATE rollout_boxes SET state = 'pushed', previous_offer = ?, generation = ?, pushed_at = ? "
                    + "WHERE rollout_id = ? AND service_name = ?", pushed);
        }
        bucket = bucket.take(names.size());
        tx.update("UPDATE rollouts SET updated_at = ?, rate_tokens = ?, rate_at = ? WHERE id = ?", now, bucket.tokens(),
                bucket.at(), r.id());
        audit.append(tx, r.driverActor(), "rollout.pushed", null, null, null, "rollout " + r.id() + ": wave " + w + ", "
                + names.size() + " boxes set to " + r.offer() + (skipped.isEmpty() ? "" : ", " + skipped.size()
                + " skipped"));
    }

    private static Map<String, Long> waveCounts(Tx tx, long id, int w) throws SQLException {
        Map<String, Long> counts = Rollouts.zeroCounts();
        tx.query("SELECT state, COUNT(*) FROM rollout_boxes WHERE rollout_id = ? AND wave = ? GROUP BY state", row -> {
            counts.put(row.getString(1), row.getLong(2));
            return null;
        }, id, w);
        return counts;
    }

    private static String nonZero(Map<String, Long> counts) {
        Map<String, Long> shown = new LinkedHashMap<>();
        counts.forEach((k, v) -> {
            if (v > 0) {
                shown.put(k, v);
            }
        });
        return shown.toString();
    }

    private void refreshGauges() {
        try {
            Map<Long, Map<String, Long>> all = database.inTransaction(tx -> rollouts.recentBoxCounts(tx,
                    tx.now().minus(METRICS_RETENTION)));
            Map<String, Long> series = new LinkedHashMap<>();
            all.forEach((id, counts) -> counts.forEach((state, n) ->
                    series.put("rollout=\"" + id + "\",state=\"" + state + "\"", n)));
            gauges = series;
            Map<String, Long> states = new LinkedHashMap<>();
            for (RolloutState s : RolloutState.values()) {
                states.put("state=\"" + s.wire() + "\"", 0L);
            }
            database.inTransaction(tx -> tx.query("SELECT state, COUNT(*) FROM rollouts GROUP BY state", row -> {
                states.put("state=\"" + row.getString(1) + "\"", row.getLong(2));
                return null;
            }));
            rolloutsByState = states;
            Instant now = java.time.Instant.now(database.clock());
            if (fleetGaugesAt == null || !now.isBefore(fleetGaugesAt.plus(FLEET_GAUGES_EVERY))) {
                // aggregates, as GET /1.0/admin/fleet counts them (docs/operations.md#metrics-get-metrics-prometheus-text)
                fleetGauges = database.inTransaction(tx -> new long[] {
                    tx.queryLong("SELECT COUNT(*) FROM push_tasks WHERE state = 'error'"),
                    tx.queryLong("SELECT COUNT(*) FROM services s JOIN devices d ON d.id = s.device_id "
                            + "WHERE d.applied_service IS NULL OR d.applied_service <> s.name "
                            + "OR d.applied_generation <> s.desired_generation")});
                fleetGaugesAt = now;
            }
        } catch (RuntimeException e) {
            LOG.debug("rollout gauges not refreshed: {}", e.toString());
        }
    }
}
