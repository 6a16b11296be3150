package net.otb.server.rollout;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import net.otb.server.catalog.Catalog;
import net.otb.server.desired.AuditLog;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.desired.DesiredStateException;
import net.otb.server.device.ServiceStatus;
import net.otb.server.store.Database;
import net.otb.server.store.RetryableConflict;
import net.otb.server.store.Tx;

/**
 * The rollouts in the store, and what an operator does to them: create, pause, resume, cancel, revert. Every
 * method runs in the caller's transaction and appends its audit event there; the waves themselves are driven by
 * {@link RolloutDriver}. Stateless apart from its collaborators; thread-safe.
 */
public final class Rollouts {

    /** A box of a rollout. */
    public record RolloutBox(long rolloutId, String serviceName, String deviceId, int wave, BoxState state,
                             String previousOffer, Long generation, Instant pushedAt, Instant finishedAt,
                             String detail) {
    }

    /** A reason boxes of a rollout failed for, and how many. */
    public record FailureReason(String reason, long boxes) {
    }

    /**
     * What a revert did: boxes put back (or, for a completed rollout, to be put back by the staged rollouts named),
     * and boxes left because their service changed since.
     */
    public record Reverted(int reverted, int kept, List<Long> rollouts) {
        public Reverted {
            rollouts = List.copyOf(rollouts);
        }
    }

    static final String COLUMNS = "id, name, to_offer, target_kind, target_value, canary_boxes, canary_percent, "
            + "growth_factor, max_per_minute, abort_failure_percent, wave_timeout_seconds, state, current_wave, waves, "
            + "boxes, start_at, actor, detail, created_at, updated_at, started_at, finished_at, reverted_at, "
            + "lease_owner, lease_until";

    private static final String BOX_COLUMNS = "rollout_id, service_name, device_id, wave, state, previous_offer, "
            + "generation, pushed_at, finished_at, detail";

    /** What a failed box's detail gets once its change is taken back. */
    private static final String TAKEN_BACK = "; the change was taken back (rollout ";

    private final Supplier<Catalog> catalog;
    private final DesiredStateEngine engine;
    private final AuditLog audit;

    public Rollouts(Supplier<Catalog> catalog, DesiredStateEngine engine, AuditLog audit) {
        this.catalog = catalog;
        this.engine = engine;
        this.audit = audit;
    }

    /**
     * Creates a rollout: resolves its target to the active services bound to a box, not on the offer already and in
     * no other open rollout (those are left out, and the detail says how many), splits them into waves in name
     * order, and stores it {@code scheduled}. Nothing is pushed before the driver starts it. One open rollout per
     * service is the database's rule: each box row holds its service in {@code open_service}, a unique key, until the
     * rollout ends; a rollout created at the same moment that took a service first makes this insert fail, and the
     * creation runs again ({@link RetryableConflict}), leaving that service out.
     *
     * @throws DesiredStateException UNKNOWN_OFFER, UNKNOWN_MODEL, UNKNOWN_SERVICE (a named service that does not exist)
     * @throws RolloutException EMPTY_TARGET, INVALID (more than {@link RolloutTarget#MAX_BOXES} boxes)
     */
    public Rollout create(Tx tx, RolloutSpec spec, String actor) throws SQLException {
        return create(tx, spec, actor, false);
    }

    /** @param revert a revert's rollout: its offer is the one the services had, a legacy one included */
    private Rollout create(Tx tx, RolloutSpec spec, String actor, boolean revert) throws SQLException {
        Catalog.Offer offer = catalog.get().offer(spec.offer()).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_OFFER, "no offer " + spec.offer()));
        if (offer.legacy() && !revert) {
            throw new RolloutException(RolloutException.Reason.INVALID, "offer", offer.name() + " is a legacy offer: "
                    + "no service may move to it (the target offer must be orderable)");
        }
        RolloutTarget target = spec.target();
        record Candidate(String name, String offer, String status, String deviceId) {
        }
        net.otb.server.store.RowMapper<Candidate> map = row -> new Candidate(row.getString(1), row.getString(2), row.getString(3),
                row.getString(4));
        List<Candidate> found;
        switch (target.kind()) {
            case SERVICES -> {
                found = tx.query("SELECT name, offer, status, device_id FROM services WHERE name = ANY(?) ORDER BY name",
                        map::map, tx.textArray(target.serviceNames()));
                if (found.size() != target.serviceNames().size()) {
                    Set<String> known = new HashSet<>(found.stream().map(Candidate::name).toList());
                    List<String> unknown = target.serviceNames().stream().filter(n -> !known.contains(n)).limit(10).toList();
                    throw new DesiredStateException(DesiredStateException.Reason.UNKNOWN_SERVICE, "no service " + unknown);
                }
            }
            case OFFER -> {
                if (catalog.get().offer(target.value()).isEmpty()) {
                    throw new DesiredStateException(DesiredStateException.Reason.UNKNOWN_OFFER, "no offer " + target.value());
                }
                found = tx.query("SELECT name, offer, status, device_id FROM services WHERE offer = ? ORDER BY name",
                        map::map, target.value());
            }
            case MODEL -> {
                if (catalog.get().model(target.value()).isEmpty()) {
                    throw new DesiredStateException(DesiredStateException.Reason.UNKNOWN_MODEL, "no box model " + target.value());
                }
                found = tx.query("SELECT s.name, s.offer, s.status, s.device_id FROM services s JOIN devices d "
                        + "ON d.id = s.device_id WHERE d.model = ? ORDER BY s.name", map::map, target.value());
            }
            default -> throw new IllegalStateException("unknown target kind " + target.kind());
        }
        // a read to leave out what other rollouts hold; the key on open_service is what enforces it (see below)
        Set<String> busy = new HashSet<>(tx.query("SELECT open_service FROM rollout_boxes WHERE open_service IS NOT NULL",
                row -> row.getString(1)));
        // an order in progress (an open migration: ordered, paid and awaiting its box, shipped) is the order system's:
        // a rollout never changes that service under it (docs/operations.md#staged-rollouts)
        Set<String> ordered = new HashSet<>(tx.query("SELECT open_service FROM migrations WHERE open_service IS NOT NULL",
                row -> row.getString(1)));
        List<Candidate> chosen = new ArrayList<>();
        int left = 0;
        Map<String, List<String>> why = new LinkedHashMap<>();
        for (Candidate c : found) {
            String reason = c.deviceId() == null ? "without a box"
                    : !ServiceStatus.ACTIVE.wire().equals(c.status()) ? "not active"
                    : c.offer().equals(offer.name()) ? "on " + offer.name() + " already"
                    : busy.contains(c.name()) ? "in another open rollout"
                    : ordered.contains(c.name()) ? "with an open order" : null;
            if (reason != null) {
                left++;
                why.computeIfAbsent(reason, k -> new ArrayList<>()).add(c.name());
            } else {
                chosen.add(c);
            }
        }
        if (chosen.isEmpty()) {
            throw new RolloutException(RolloutException.Reason.EMPTY_TARGET, "the target holds no active service bound "
                    + "to a box, off " + offer.name() + ", in no other open rollout and with no open order ("
                    + found.size() + " found" + (found.isEmpty() ? "" : ": " + leftOut(why)) + ")");
        }
        if (chosen.size() > RolloutTarget.MAX_BOXES) {
            throw new RolloutException(RolloutException.Reason.INVALID, "the target holds " + chosen.size()
                    + " boxes; a rollout takes at most " + RolloutTarget.MAX_BOXES);
        }
        if (spec.canaryBoxes() != null && spec.canaryBoxes() > chosen.size() && !revert) {
            throw new RolloutException(RolloutException.Reason.INVALID, "canaryBoxes", "canaryBoxes is "
                    + spec.canaryBoxes() + " but the target holds " + chosen.size() + " boxes to change"
                    + (left == 0 ? "" : " (" + left + " left out: " + leftOut(why) + ")"));
        }
        chosen = spread(tx, chosen, Candidate::deviceId);
        List<Integer> sizes = WavePlan.sizes(chosen.size(), spec.canaryBoxes() == null ? null
                : Math.min(spec.canaryBoxes(), chosen.size()), spec.canaryPercent(), spec.growthFactor());
        Instant now = tx.now();
        Instant startAt = spec.startAt() == null || spec.startAt().isBefore(now) ? now : spec.startAt();
        String detail = left == 0 ? null : left + " services of the target left out: " + leftOut(why);
        long id = tx.insert("INSERT INTO rollouts (name, to_offer, target_kind, target_value, canary_boxes, canary_percent, "
                        + "growth_factor, max_per_minute, abort_failure_percent, wave_timeout_seconds, state, current_wave, "
                        + "waves, boxes, start_at, actor, detail, created_at, updated_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                spec.name(), offer.name(), target.kind(), target.value(), spec.canaryBoxes(), spec.canaryPercent(),
                spec.growthFactor(), spec.maxPerMinute(), spec.abortFailurePercent(), spec.waveTimeout().toSeconds(),
                RolloutState.SCHEDULED, sizes.size(), chosen.size(), startAt, actor, detail, now, now);
        List<Object[]> waveRows = new ArrayList<>();
        List<Object[]> boxRows = new ArrayList<>();
        int index = 0;
        for (int w = 0; w < sizes.size(); w++) {
            waveRows.add(new Object[] {id, w + 1, sizes.get(w), "pending"});
            for (int i = 0; i < sizes.get(w); i++) {
                Candidate c = chosen.get(index++);
                boxRows.add(new Object[] {id, c.name(), c.deviceId(), w + 1, BoxState.PENDING, c.name()});
            }
        }
        tx.batch("INSERT INTO rollout_waves (rollout_id, wave, size, state) VALUES (?, ?, ?, ?)", waveRows);
        try {
            tx.batch("INSERT INTO rollout_boxes (rollout_id, service_name, device_id, wave, state, open_service) "
                    + "VALUES (?, ?, ?, ?, ?, ?)", boxRows);
        } catch (SQLException e) {
            if (uniqueViolation(e)) {
                // another rollout created at the same moment took some of these services first: the database refused
                // the second; run the creation again, which now sees them held and leaves them out
                throw new RetryableConflict("a concurrent rollout took some of the target's services");
            }
            throw e;
        }
        audit.append(tx, actor, "rollout.created", null, null, null, "rollout " + id + " '" + spec.name() + "': "
                + chosen.size() + " boxes to " + offer.name() + " in waves " + sizes + ", at most " + spec.maxPerMinute()
                + "/min, abort above " + spec.abortFailurePercent() + " % failed or after " + spec.waveTimeout().toSeconds()
                + " s per wave" + (detail == null ? "" : "; " + detail));
        return find(tx, id).orElseThrow();
    }

    /**
     * The boxes in wave order: spread over their models and firmware, so that the canary and every wave sample each
     * kind of box in proportion (a canary of one model tells nothing about the others). Within a kind, name order;
     * the kinds are interleaved by each box's place within its kind ((k + ½) / n), ties by kind then name: the
     * order is a pure function of the target, so a rollout's waves are the same whoever creates it, and shown by
     * {@code GET …/boxes?wave=N}.
     */
    static <T> List<T> spread(Tx tx, List<T> boxes, java.util.function.Function<T, String> deviceOf) throws SQLException {
        Map<String, String> kind = new java.util.HashMap<>();
        tx.query("SELECT id, model, firmware FROM devices WHERE id = ANY(?)", row -> {
            kind.put(row.getString(1), row.getString(2) + "/" + (row.getString(3) == null ? "" : row.getString(3)));
            return null;
        }, tx.textArray(boxes.stream().map(deviceOf).toList()));
        Map<String, List<T>> byKind = new java.util.TreeMap<>();
        for (T box : boxes) {
            byKind.computeIfAbsent(kind.getOrDefault(deviceOf.apply(box), "?"), k -> new ArrayList<>()).add(box);
        }
        if (byKind.size() < 2) {
            return boxes;
        }
        record Placed<T>(double key, String kind, int index, T box) {
        }
        List<Placed<T>> placed = new ArrayList<>(boxes.size());
        byKind.forEach((k, members) -> {
            for (int i = 0; i < members.size(); i++) {
                placed.add(new Placed<>((i + 0.5) / members.size(), k, i, members.get(i)));
            }
        });
        placed.sort(java.util.Comparator.<Placed<T>>comparingDouble(Placed::key).thenComparing(Placed::kind));
        return placed.stream().map(Placed::box).toList();
    }

    /** "3 with an open order (svc-1, svc-2, svc-3), 9 on business.v1 already (svc-4, … and 4 more)". */
    private static String leftOut(Map<String, List<String>> why) {
        List<String> parts = new ArrayList<>();
        why.forEach((reason, names) -> parts.add(names.size() + " " + reason + " (" + String.join(", ",
                names.subList(0, Math.min(5, names.size()))) + (names.size() > 5 ? ", and " + (names.size() - 5)
                + " more" : "") + ")"));
        return String.join("; ", parts);
    }

    private static boolean uniqueViolation(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (Database.isUniqueViolation(s)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static String prefixed(String alias) {
        return String.join(", ", java.util.Arrays.stream(BOX_COLUMNS.split(", ")).map(c -> alias + "." + c).toList());
    }

    public java.util.Optional<Rollout> find(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM rollouts WHERE id = ?", Rollouts::map, id);
    }

    /** The rollout, its row locked until the transaction ends: operators and drivers serialize on it. */
    public Rollout lock(Tx tx, long id) throws SQLException {
        return tx.queryOne("SELECT " + COLUMNS + " FROM rollouts WHERE id = ? FOR UPDATE", Rollouts::map, id)
                .orElseThrow(() -> new RolloutException(RolloutException.Reason.NOT_FOUND, "no rollout " + id));
    }

    /** The newest rollouts first. */
    public List<Rollout> list(Tx tx, int limit) throws SQLException {
        return tx.query("SELECT " + COLUMNS + " FROM rollouts ORDER BY id DESC LIMIT ?", Rollouts::map, limit);
    }

    /** Ids of the rollouts a driver has work on: scheduled or running. */
    public List<Long> drivable(Tx tx) throws SQLException {
        return tx.query("SELECT id FROM rollouts WHERE state IN (?, ?) ORDER BY id", row -> row.getLong(1),
                RolloutState.SCHEDULED, RolloutState.RUNNING);
    }

    /** The rollout's waves, in order, with their boxes counted by state. */
    public List<Wave> waves(Tx tx, long id) throws SQLException {
        Map<Integer, Map<String, Long>> counts = new TreeMap<>();
        tx.query("SELECT wave, state, COUNT(*) FROM rollout_boxes WHERE rollout_id = ? GROUP BY wave, state", row -> {
            counts.computeIfAbsent(row.getInt(1), w -> zeroCounts()).put(row.getString(2), row.getLong(3));
            return null;
        }, id);
        return tx.query("SELECT wave, size, state, started_at, deadline_at, finished_at FROM rollout_waves "
                + "WHERE rollout_id = ? ORDER BY wave", row -> new Wave(row.getInt(1), row.getInt(2), row.getString(3),
                Tx.instant(row, "started_at"), Tx.instant(row, "deadline_at"), Tx.instant(row, "finished_at"),
                counts.getOrDefault(row.getInt(1), zeroCounts())), id);
    }

    /**
     * The most frequent reasons the rollout's boxes failed for (the box's own words: "rejected: HTB: …"), most boxes
     * first, at most {@code limit}.
     */
    public List<FailureReason> failureReasons(Tx tx, long id, int limit) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        tx.query("SELECT detail, COUNT(*) FROM rollout_boxes WHERE rollout_id = ? AND state = ? GROUP BY detail", row -> {
            String detail = row.getString(1) == null ? "failed" : row.getString(1);
            int taken = detail.indexOf(TAKEN_BACK);
            counts.merge(taken < 0 ? detail : detail.substring(0, taken), row.getLong(2), Long::sum);
            return null;
        }, id, BoxState.FAILED);
        return counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey())).limit(limit)
                .map(e -> new FailureReason(e.getKey(), e.getValue())).toList();
    }

    /** Boxes of the rollout by state, every state listed. */
    public Map<String, Long> boxCounts(Tx tx, long id) throws SQLException {
        Map<String, Long> counts = zeroCounts();
        tx.query("SELECT state, COUNT(*) FROM rollout_boxes WHERE rollout_id = ? GROUP BY state", row -> {
            counts.put(row.getString(1), row.getLong(2));
            return null;
        }, id);
        return counts;
    }

    /** Boxes per state of every rollout open or updated since {@code since}: rollout id → state → count. */
    public Map<Long, Map<String, Long>> recentBoxCounts(Tx tx, Instant since) throws SQLException {
        Map<Long, Map<String, Long>> all = new TreeMap<>();
        tx.query("SELECT b.rollout_id, b.state, COUNT(*) FROM rollout_boxes b JOIN rollouts r ON r.id = b.rollout_id "
                + "WHERE r.state IN (?, ?, ?) OR r.updated_at >= ? GROUP BY b.rollout_id, b.state", row -> {
                    all.computeIfAbsent(row.getLong(1), k -> zeroCounts()).put(row.getString(2), row.getLong(3));
                    return null;
                }, RolloutState.SCHEDULED, RolloutState.RUNNING, RolloutState.PAUSED, since);
        return all;
    }

    /** The rollout's boxes, optionally of one wave and/or state, in name order. */
    public List<RolloutBox> boxes(Tx tx, long id, Integer wave, BoxState state, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + BOX_COLUMNS + " FROM rollout_boxes WHERE rollout_id = ?");
        List<Object> args = new ArrayList<>(List.of(id));
        if (wave != null) {
            sql.append(" AND wave = ?");
            args.add(wave);
        }
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.wire());
        }
        sql.append(" ORDER BY service_name LIMIT ?");
        args.add(limit);
        return tx.query(sql.toString(), Rollouts::mapBox, args.toArray());
    }

    /**
     * Pauses a scheduled or running rollout: nothing more is pushed; boxes already pushed still apply, and their
     * answers are counted when it resumes.
     */
    public Rollout pause(Tx tx, long id, String actor) throws SQLException {
        Rollout r = lock(tx, id);
        requireState(r, "pause", RolloutState.SCHEDULED, RolloutState.RUNNING);
        setState(tx, id, RolloutState.PAUSED, r.detail());
        audit.append(tx, actor, "rollout.paused", null, null, null, "rollout " + id + ": paused in wave " + r.currentWave());
        return find(tx, id).orElseThrow();
    }

    /**
     * Resumes a paused rollout where it stopped; the current wave's timeout starts again from now (the time paused
     * does not count against the wave).
     */
    public Rollout resume(Tx tx, long id, String actor) throws SQLException {
        Rollout r = lock(tx, id);
        requireState(r, "resume", RolloutState.PAUSED);
        RolloutState next = r.startedAt() == null ? RolloutState.SCHEDULED : RolloutState.RUNNING;
        setState(tx, id, next, r.detail());
        Instant now = tx.now();
        tx.update("UPDATE rollout_waves SET deadline_at = ? WHERE rollout_id = ? AND state = 'running'",
                now.plus(r.waveTimeout()), id);
        audit.append(tx, actor, "rollout.resumed", null, null, null, "rollout " + id + ": resumed in wave " + r.currentWave());
        return find(tx, id).orElseThrow();
    }

    /**
     * Cancels an open rollout: boxes not pushed yet stay as they are; those that applied the change keep it (a revert
     * puts them back); the change of those pushed that have not applied it is taken back.
     */
    public Rollout cancel(Tx tx, long id, String actor) throws SQLException {
        Rollout r = lock(tx, id);
        requireState(r, "cancel", RolloutState.SCHEDULED, RolloutState.RUNNING, RolloutState.PAUSED);
        finish(tx, r, RolloutState.CANCELLED, "cancelled by " + actor);
        audit.append(tx, actor, "rollout.cancelled", null, null, null, "rollout " + id + ": cancelled in wave "
                + r.currentWave() + ", " + boxCounts(tx, id));
        return find(tx, id).orElseThrow();
    }

    /**
     * Puts the boxes an aborted or cancelled rollout changed (those that applied it: the others were taken back when it
     * ended) back on their previous desired offer (a new generation each, through the engine's bulk path), once. A box whose service changed again since the rollout changed it
     * is left alone. Never done unless asked.
     */
    public Reverted revert(Tx tx, long id, String actor) throws SQLException {
        return revert(tx, id, actor, true);
    }

    /**
     * A revert at the rollout's rate ({@code immediate} false: a new staged rollout back, see {@link #revertStaged}),
     * or at once; a completed rollout's revert is always staged.
     */
    public Reverted revert(Tx tx, long id, String actor, boolean immediate) throws SQLException {
        Rollout r = lock(tx, id);
        requireState(r, "revert", RolloutState.ABORTED, RolloutState.CANCELLED, RolloutState.COMPLETED);
        if (r.revertedAt() != null) {
            throw new RolloutException(RolloutException.Reason.WRONG_STATE, "rollout " + id + " was reverted already at "
                    + r.revertedAt());
        }
        if (r.state() == RolloutState.COMPLETED || !immediate) {
            return revertStaged(tx, r, actor);
        }
        List<RolloutBox> changed = tx.query("SELECT " + prefixed("b")
                        + " FROM rollout_boxes b JOIN services s ON s.name = b.service_name WHERE b.rollout_id = ? "
                        + "AND b.state = ? AND s.desired_generation = b.generation ORDER BY b.service_name",
                Rollouts::mapBox, id, BoxState.APPLIED);
        int kept = (int) tx.queryLong("SELECT COUNT(*) FROM rollout_boxes WHERE rollout_id = ? AND state = ?",
                id, BoxState.APPLIED) - changed.size();
        Map<String, List<String>> byOffer = new LinkedHashMap<>();
        for (RolloutBox box : changed) {
            byOffer.computeIfAbsent(box.previousOffer(), o -> new ArrayList<>()).add(box.serviceName());
        }
        String reverter = actor + " (revert of rollout " + id + ")";
        for (Map.Entry<String, List<String>> group : byOffer.entrySet()) {
            List<String> names = group.getValue();
            for (int from = 0; from < names.size(); from += 1_000) {
                engine.setDesiredOffers(tx, names.subList(from, Math.min(names.size(), from + 1_000)), group.getKey(),
                        reverter.length() > 128 ? reverter.substring(0, 128) : reverter);
            }
        }
        Instant now = tx.now();
        List<Object[]> rows = changed.stream().map(b -> new Object[] {now, id, b.serviceName()}).toList();
        tx.batch("UPDATE rollout_boxes SET state = 'reverted', finished_at = ?, detail = 'put back on its previous offer' "
                + "WHERE rollout_id = ? AND service_name = ?", rows);
        tx.update("UPDATE rollouts SET reverted_at = ?, updated_at = ? WHERE id = ?", now, now, id);
        audit.append(tx, actor, "rollout.reverted", null, null, null, "rollout " + id + ": " + changed.size()
                + " boxes put back on their previous offer, " + kept + " left (their service changed since)");
        return new Reverted(changed.size(), kept, List.of());
    }

    /**
     * A staged revert (a completed rollout's, or one asked at the rate): the rollout is undone the way it was done, as
     * a new staged rollout back (one per previous offer, usually one) of the boxes it changed whose service has not
     * changed since, with the same canary, growth, rate and abort rules. Each is an ordinary rollout: it can be
     * paused, aborts by its rules, takes back what it did not apply.
     */
    private Reverted revertStaged(Tx tx, Rollout r, String actor) throws SQLException {
        List<RolloutBox> changed = tx.query("SELECT " + prefixed("b")
                        + " FROM rollout_boxes b JOIN services s ON s.name = b.service_name WHERE b.rollout_id = ? "
                        + "AND b.state = ? AND s.desired_generation = b.generation ORDER BY b.service_name",
                Rollouts::mapBox, r.id(), BoxState.APPLIED);
        int kept = (int) tx.queryLong("SELECT COUNT(*) FROM rollout_boxes WHERE rollout_id = ? AND state = ?",
                r.id(), BoxState.APPLIED) - changed.size();
        Map<String, List<String>> byOffer = new java.util.TreeMap<>();
        for (RolloutBox box : changed) {
            byOffer.computeIfAbsent(box.previousOffer(), o -> new ArrayList<>()).add(box.serviceName());
        }
        List<Long> created = new ArrayList<>();
        int staged = 0;
        for (Map.Entry<String, List<String>> group : byOffer.entrySet()) {
            List<String> names = group.getValue();
            Integer canary = r.canaryBoxes() == null ? null : Math.min(r.canaryBoxes(), names.size());
            String name = "revert of rollout " + r.id() + (byOffer.size() > 1 ? " to " + group.getKey() : "");
            Rollout back = create(tx, new RolloutSpec(name, RolloutTarget.services(names), group.getKey(), canary,
                    canary == null ? r.canaryPercent() : null, r.growthFactor(), r.maxPerMinute(),
                    r.abortFailurePercent(), r.waveTimeout(), null), actor, true);
            created.add(back.id());
            staged += back.boxes();
        }
        Instant now = tx.now();
        tx.update("UPDATE rollouts SET reverted_at = ?, updated_at = ? WHERE id = ?", now, now, r.id());
        audit.append(tx, actor, "rollout.reverted", null, null, null, "rollout " + r.id() + ": " + staged
                + " boxes to be put back by the staged rollout(s) " + created + ", " + kept
                + " left (their service changed since)");
        return new Reverted(staged, kept, created);
    }

    /**
     * Reads the answers of the wave's pushed boxes: a rollback report or an {@code error} task (rejected, rolled
     * back too often) fails the box; its applied report, or the box reporting that generation in force, applies
     * it; a service changed again (another generation, another box) supersedes it. Of one wave, or of all when
     * {@code w} is null.
     */
    void refresh(Tx tx, long id, Integer w) throws SQLException {
        record Seen(String name, long generation, Long desired, String serviceDevice, String boxDevice, String taskState,
                    String outcome, int rollbacks, String taskDetail, String appliedService, long appliedGeneration) {
        }
        List<Seen> seen = tx.query("SELECT b.service_name, b.generation, s.desired_generation, s.device_id, b.device_id, "
                + "t.state, t.outcome, t.rollbacks, t.detail, d.applied_service, d.applied_generation "
                + "FROM rollout_boxes b LEFT JOIN services s ON s.name = b.service_name "
                + "LEFT JOIN push_tasks t ON t.device_id = b.device_id AND t.service_name = b.service_name "
                + "AND t.kind = 'profile' AND t.generation = b.generation "
                + "LEFT JOIN devices d ON d.id = b.device_id "
                + "WHERE b.rollout_id = ? AND b.state = 'pushed'" + (w == null ? "" : " AND b.wave = " + w.intValue()),
                row -> new Seen(row.getString(1),
                row.getLong(2), Tx.nullableLong(row, "desired_generation"), row.getString(4), row.getString(5),
                row.getString(6), row.getString(7), row.getInt(8), row.getString(9), row.getString(10), row.getLong(11)),
                id);
        Instant now = tx.now();
        List<Object[]> changes = new ArrayList<>();
        for (Seen s : seen) {
            BoxState next = null;
            String detail = null;
            if (s.rollbacks() > 0 || "error".equals(s.taskState())) {
                next = BoxState.FAILED;
                detail = (s.outcome() == null || s.rollbacks() > 0 && !"error".equals(s.taskState()) ? "rolledBack"
                        : s.outcome()) + (s.taskDetail() == null ? "" : ": " + s.taskDetail());
            } else if (("done".equals(s.taskState()) && "applied".equals(s.outcome()))
                    || (s.name().equals(s.appliedService()) && s.appliedGeneration() == s.generation())) {
                next = BoxState.APPLIED;
            } else if (s.desired() == null || s.desired() != s.generation() || !s.boxDevice().equals(s.serviceDevice())) {
                next = BoxState.SUPERSEDED;
                detail = "its service changed again before the box answered";
            }
            if (next != null) {
                changes.add(new Object[] {next, now, cut(detail), id, s.name()});
            }
        }
        tx.batch("UPDATE rollout_boxes SET state = ?, finished_at = ?, detail = ? WHERE rollout_id = ? "
                + "AND service_name = ?", changes);
    }

    void setState(Tx tx, long id, RolloutState state, String detail) throws SQLException {
        tx.update("UPDATE rollouts SET state = ?, detail = ?, updated_at = ? WHERE id = ?", state, cut(detail), tx.now(), id);
    }

    /**
     * Ends a rollout: its state, detail, finish time; the lease is released, every service it held is free for another
     * rollout, and the running wave closed ({@code done} when completed, {@code cancelled} when cancelled, {@code failed}
     * when aborted); waves that never started are {@code cancelled}. An abort or a cancel first reads the last answers
     * of the boxes pushed, then takes back, in this transaction, the desired change of every box that has not applied
     * it (see {@link #takeBack}): boxes not reached stay exactly as they were, offline ones included.
     */
    void finish(Tx tx, Rollout r, RolloutState state, String detail) throws SQLException {
        Instant now = tx.now();
        if (state == RolloutState.ABORTED || state == RolloutState.CANCELLED) {
            refresh(tx, r.id(), null);
            takeBack(tx, r, state);
        }
        tx.update("UPDATE rollouts SET state = ?, detail = ?, updated_at = ?, finished_at = ?, lease_owner = NULL, "
                + "lease_until = NULL WHERE id = ?", state, cut(detail), now, now, r.id());
        tx.update("UPDATE rollout_boxes SET open_service = NULL WHERE rollout_id = ? AND open_service IS NOT NULL", r.id());
        tx.update("UPDATE rollout_waves SET state = ?, finished_at = ? WHERE rollout_id = ? AND state = 'running'",
                state == RolloutState.COMPLETED ? "done" : state == RolloutState.CANCELLED ? "cancelled" : "failed", now,
                r.id());
        tx.update("UPDATE rollout_waves SET state = 'cancelled' WHERE rollout_id = ? AND state = 'pending'", r.id());
    }

    /**
     * Takes back the rollout's change of every box pushed that has not applied it ({@code pushed}, or {@code failed}:
     * it rejected or rolled back the change and runs its previous offer), through the engine: a new generation on its
     * previous offer, so the box gets the offer it had, now or when it reconnects. A pushed box taken back is
     * {@code withdrawn}; a failed one stays {@code failed} (the count the abort rule read), its detail says so. A box
     * whose service changed again since is left alone ({@code superseded} when it was pushed).
     */
    private void takeBack(Tx tx, Rollout r, RolloutState state) throws SQLException {
        List<RolloutBox> open = tx.query("SELECT " + BOX_COLUMNS + " FROM rollout_boxes WHERE rollout_id = ? "
                + "AND state IN (?, ?) AND generation IS NOT NULL ORDER BY service_name", Rollouts::mapBox, r.id(),
                BoxState.PUSHED, BoxState.FAILED);
        if (open.isEmpty()) {
            return;
        }
        List<DesiredStateEngine.Withdrawal> asked = open.stream().map(b -> new DesiredStateEngine.Withdrawal(
                b.serviceName(), b.generation(), b.previousOffer())).toList();
        String why = state == RolloutState.ABORTED ? "aborted" : "cancelled";
        Set<String> taken = new HashSet<>(engine.withdraw(tx, asked, r.driverActor() + " (" + why + ")"));
        Instant now = tx.now();
        List<Object[]> rows = new ArrayList<>();
        for (RolloutBox b : open) {
            boolean back = taken.contains(b.serviceName());
            if (b.state() == BoxState.PUSHED) {
                rows.add(new Object[] {back ? BoxState.WITHDRAWN : BoxState.SUPERSEDED, now, back
                        ? "the rollout was " + why + " before the box applied its change; put back on " + b.previousOffer()
                        : "its service changed again before the box answered", r.id(), b.serviceName()});
            } else if (back) {
                rows.add(new Object[] {BoxState.FAILED, b.finishedAt() == null ? now : b.finishedAt(),
                        cut((b.detail() == null ? "failed" : b.detail()) + TAKEN_BACK + why + ")"), r.id(),
                        b.serviceName()});
            }
        }
        tx.batch("UPDATE rollout_boxes SET state = ?, finished_at = ?, detail = ? WHERE rollout_id = ? "
                + "AND service_name = ?", rows);
        audit.append(tx, r.driverActor(), "rollout.withdrawn", null, null, null, "rollout " + r.id() + ": " + taken.size()
                + " boxes that had not applied the change put back on their previous offer");
    }

    private static void requireState(Rollout r, String action, RolloutState... allowed) {
        for (RolloutState s : allowed) {
            if (r.state() == s) {
                return;
            }
        }
        throw new RolloutException(RolloutException.Reason.WRONG_STATE, "cannot " + action + " rollout " + r.id()
                + ": it is " + r.state().wire() + (r.detail() == null ? "" : " (" + r.detail() + ")"));
    }

    static Map<String, Long> zeroCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (BoxState s : BoxState.values()) {
            counts.put(s.wire(), 0L);
        }
        return counts;
    }

    static String cut(String detail) {
        return detail != null && detail.length() > 1024 ? detail.substring(0, 1024) : detail;
    }

    static Rollout map(ResultSet row) throws SQLException {
        int canaryBoxes = row.getInt("canary_boxes");
        Integer boxes = row.wasNull() ? null : canaryBoxes;
        int canaryPercent = row.getInt("canary_percent");
        Integer percent = row.wasNull() ? null : canaryPercent;
        return new Rollout(row.getLong("id"), row.getString("name"), row.getString("to_offer"),
                RolloutTarget.Kind.fromWire(row.getString("target_kind")), row.getString("target_value"), boxes, percent,
                row.getDouble("growth_factor"), row.getInt("max_per_minute"), row.getInt("abort_failure_percent"),
                Duration.ofSeconds(row.getLong("wave_timeout_seconds")), RolloutState.fromWire(row.getString("state")),
                row.getInt("current_wave"), row.getInt("waves"), row.getInt("boxes"), Tx.instant(row, "start_at"),
                row.getString("actor"), row.getString("detail"), Tx.instant(row, "created_at"),
                Tx.instant(row, "updated_at"), Tx.instant(row, "started_at"), Tx.instant(row, "finished_at"),
                Tx.instant(row, "reverted_at"), row.getString("lease_owner"), Tx.instant(row, "lease_until"));
    }

    static RolloutBox mapBox(ResultSet row) throws SQLException {
        return new RolloutBox(row.getLong("rollout_id"), row.getString("service_name"), row.getString("device_id"),
                row.getInt("wave"), BoxState.fromWire(row.getString("state")), row.getString("previous_offer"),
                Tx.nullableLong(row, "generation"), Tx.instant(row, "pushed_at"), Tx.instant(row, "finished_at"),
                row.getString("detail"));
    }
}
