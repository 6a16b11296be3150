package net.otb.server.api;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.otb.server.ServerContext;
import net.otb.server.rollout.BoxState;
import net.otb.server.rollout.Rollout;
import net.otb.server.rollout.RolloutDriver;
import net.otb.server.rollout.RolloutException;
import net.otb.server.rollout.RolloutSpec;
import net.otb.server.rollout.RolloutTarget;
import net.otb.server.rollout.Rollouts;
import net.otb.server.rollout.Wave;
import net.otb.server.store.Tx;

/**
 * The admin routes of staged rollouts: create, list, read, pause, resume, cancel, revert. Registered as the other
 * admin routes are (the operator's role once the API authenticates); every POST honours {@code Idempotency-Key}.
 */
public final class RolloutApi implements ApiModule {

    /** Body of {@code POST /1.0/admin/rollouts}: exactly one of serviceNames, fromOffer and model. */
    public record NewRollout(String name, String offer, List<String> serviceNames, String fromOffer, String model,
                             Integer canaryBoxes, Integer canaryPercent, Double growthFactor, Integer maxPerMinute,
                             Integer abortFailurePercent, Integer waveTimeoutSeconds, Instant startAt) {
        public NewRollout {
            int targets = (serviceNames == null ? 0 : 1) + (fromOffer == null ? 0 : 1) + (model == null ? 0 : 1);
            if (targets != 1) {
                throw new IllegalArgumentException("give exactly one target: serviceNames, fromOffer or model");
            }
            if (canaryBoxes == null && canaryPercent == null) {
                canaryPercent = 5;
            }
            growthFactor = growthFactor == null ? 2.0 : growthFactor;
            maxPerMinute = maxPerMinute == null ? 600 : maxPerMinute;
            abortFailurePercent = abortFailurePercent == null ? 10 : abortFailurePercent;
            waveTimeoutSeconds = waveTimeoutSeconds == null ? 1_800 : waveTimeoutSeconds;
        }

        RolloutSpec spec() {
            RolloutTarget target = serviceNames != null ? RolloutTarget.services(serviceNames)
                    : fromOffer != null ? RolloutTarget.offer(fromOffer) : RolloutTarget.model(model);
            return new RolloutSpec(name, target, offer, canaryBoxes, canaryPercent, growthFactor, maxPerMinute,
                    abortFailurePercent, Duration.ofSeconds(waveTimeoutSeconds), startAt);
        }
    }

    /** A rollout as the API shows it: its settings, state, boxes by state and waves. */
    public record RolloutView(long id, String name, String offer, String targetKind, String target, Integer canaryBoxes,
                              Integer canaryPercent, double growthFactor, int maxPerMinute, int abortFailurePercent,
                              long waveTimeoutSeconds, String state, String detail, int currentWave, int waveCount,
                              int boxes, Map<String, Long> boxesByState, List<Rollouts.FailureReason> failureReasons,
                              List<Wave> waves, String actor, Instant startAt,
                              Instant createdAt, Instant updatedAt, Instant startedAt, Instant finishedAt,
                              Instant revertedAt, String leaseOwner, Instant leaseUntil) {
    }

    /**
     * A box of a rollout as the API lists it: its rollout state, and live beside it whether the box is connected now
     * (on this instance or a live other) and whether it runs its service's desired generation (which goes on
     * following the box's acks after the rollout ended).
     */
    public record BoxView(long rolloutId, String serviceName, String deviceId, int wave, BoxState state,
                          String previousOffer, Long generation, Instant pushedAt, Instant finishedAt, String detail,
                          boolean connected, boolean inSync, long appliedGeneration, long desiredGeneration) {
    }

    /** Optional body of a revert: {@code immediate} puts the boxes back at once rather than at the rollout's rate. */
    public record RevertRequest(Boolean immediate) {
    }

    /** Answer of a revert. */
    public record RevertDone(long rolloutId, int reverted, int kept, List<Long> revertRollouts) {
    }

    private final RolloutDriver driver;
    private final net.otb.server.cluster.Presence presence;
    private ServerContext context;

    /** @param presence where the boxes' sessions are, for the {@code connected} of the box list */
    public RolloutApi(RolloutDriver driver, net.otb.server.cluster.Presence presence) {
        this.driver = driver;
        this.presence = presence;
    }

    @Override
    public void register(Router router, ServerContext serverContext) {
        this.context = serverContext;
        Rollouts rollouts = serverContext.rollouts();
        router.post("/1.0/admin/rollouts", (request, tx) -> guard(() -> {
            NewRollout body = request.strictBody(NewRollout.class);
            RolloutSpec spec;
            try {
                spec = body.spec();
            } catch (IllegalArgumentException e) {
                throw Problems.badRequest("invalid body: " + e.getMessage());
            }
            Rollout created = rollouts.create(tx, spec, AdminApi.actor(tx));
            return ApiResponse.created(view(tx, created), "/1.0/admin/rollouts/" + created.id());
        }));
        router.get("/1.0/admin/rollouts", (request, tx) -> {
            List<RolloutView> views = new ArrayList<>();
            for (Rollout r : rollouts.list(tx, request.intQuery("limit", 50, 1, 500))) {
                views.add(view(tx, r));
            }
            return ApiResponse.ok(views);
        });
        router.get("/1.0/admin/rollouts/{rolloutId}", (request, tx) -> guard(() ->
                ApiResponse.ok(view(tx, rollouts.find(tx, id(request)).orElseThrow(() -> notFound(request))))));
        router.get("/1.0/admin/rollouts/{rolloutId}/boxes", (request, tx) -> guard(() -> {
            long id = id(request);
            rollouts.find(tx, id).orElseThrow(() -> notFound(request));
            BoxState state;
            try {
                state = request.query("state").map(BoxState::fromWire).orElse(null);
            } catch (IllegalArgumentException e) {
                throw Problems.invalidField("state", e.getMessage());
            }
            Integer wave = request.query("wave").isPresent() ? request.intQuery("wave", 1, 1, Integer.MAX_VALUE) : null;
            return ApiResponse.ok(boxViews(tx, rollouts.boxes(tx, id, wave, state, request.intQuery("limit", 100, 1,
                    10_000))));
        }));
        router.post("/1.0/admin/rollouts/{rolloutId}/pause", (request, tx) -> guard(() ->
                ApiResponse.ok(view(tx, rollouts.pause(tx, id(request), AdminApi.actor(tx))))));
        router.post("/1.0/admin/rollouts/{rolloutId}/resume", (request, tx) -> guard(() ->
                ApiResponse.ok(view(tx, rollouts.resume(tx, id(request), AdminApi.actor(tx))))));
        router.post("/1.0/admin/rollouts/{rolloutId}/cancel", (request, tx) -> guard(() ->
                ApiResponse.ok(view(tx, rollouts.cancel(tx, id(request), AdminApi.actor(tx))))));
        router.post("/1.0/admin/rollouts/{rolloutId}/revert", (request, tx) -> guard(() -> {
            long id = id(request);
            boolean immediate = request.hasBody() && Boolean.TRUE.equals(request.strictBody(RevertRequest.class).immediate());
            Rollouts.Reverted done = rollouts.revert(tx, id, AdminApi.actor(tx), immediate);
            return ApiResponse.ok(new RevertDone(id, done.reverted(), done.kept(), done.rollouts()));
        }));
    }

    /** The driver behind these routes (its instance id is the lease owner the views show). */
    public RolloutDriver driver() {
        return driver;
    }

    private RolloutView view(Tx tx, Rollout r) throws SQLException {
        Rollouts rollouts = context.rollouts();
        String target = r.targetKind() == RolloutTarget.Kind.SERVICES ? r.boxes() + " named services" : r.targetValue();
        return new RolloutView(r.id(), r.name(), r.offer(), r.targetKind().wire(), target, r.canaryBoxes(),
                r.canaryPercent(), r.growthFactor(), r.maxPerMinute(), r.abortFailurePercent(),
                r.waveTimeout().toSeconds(), r.state().wire(), r.detail(), r.currentWave(), r.waves(), r.boxes(),
                rollouts.boxCounts(tx, r.id()), rollouts.failureReasons(tx, r.id(), 3), rollouts.waves(tx, r.id()), r.actor(), r.startAt(), r.createdAt(),
                r.updatedAt(), r.startedAt(), r.finishedAt(), r.revertedAt(), r.leaseOwner(), r.leaseUntil());
    }

    private List<BoxView> boxViews(Tx tx, List<Rollouts.RolloutBox> boxes) throws SQLException {
        record Live(String ownerInstance, String appliedService, long appliedGeneration) {
        }
        Map<String, Live> live = new java.util.HashMap<>();
        tx.query("SELECT id, owner_instance, applied_service, applied_generation FROM devices WHERE id = ANY(?)", row -> {
            live.put(row.getString(1), new Live(row.getString(2), row.getString(3), row.getLong(4)));
            return null;
        }, tx.textArray(boxes.stream().map(Rollouts.RolloutBox::deviceId).toList()));
        Map<String, Long> desired = new java.util.HashMap<>();
        tx.query("SELECT name, desired_generation FROM services WHERE name = ANY(?)", row -> {
            desired.put(row.getString(1), row.getLong(2));
            return null;
        }, tx.textArray(boxes.stream().map(Rollouts.RolloutBox::serviceName).toList()));
        net.otb.server.cluster.Presence.View sessions = presence.read(tx);
        List<BoxView> views = new ArrayList<>(boxes.size());
        for (Rollouts.RolloutBox b : boxes) {
            Live l = live.get(b.deviceId());
            long applied = l != null && b.serviceName().equals(l.appliedService()) ? l.appliedGeneration() : 0;
            long wanted = desired.getOrDefault(b.serviceName(), 0L);
            views.add(new BoxView(b.rolloutId(), b.serviceName(), b.deviceId(), b.wave(), b.state(), b.previousOffer(),
                    b.generation(), b.pushedAt(), b.finishedAt(), b.detail(),
                    l != null && sessions.connected(b.deviceId(), l.ownerInstance()), applied == wanted && wanted > 0,
                    applied, wanted));
        }
        return views;
    }

    private static long id(ApiRequest request) {
        String raw = request.pathParam("rolloutId");
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw Problems.notFound("no rollout " + raw);
        }
    }

    private static ProblemException notFound(ApiRequest request) {
        return new ProblemException(404, "unknown-rollout", "Unknown rollout", "no rollout " + request.pathParam("rolloutId"));
    }

    @FunctionalInterface
    private interface Work {
        ApiResponse run() throws SQLException;
    }

    /** Turns a rollout rule's refusal into its problem (404, 409 or 400); the transaction rolls back. */
    private static ApiResponse guard(Work work) throws SQLException {
        try {
            return work.run();
        } catch (RolloutException e) {
            throw switch (e.reason()) {
                case NOT_FOUND -> new ProblemException(404, "unknown-rollout", "Unknown rollout", e.getMessage());
                case WRONG_STATE -> Problems.conflict("rollout-state", "Not allowed in this rollout state", e.getMessage());
                case EMPTY_TARGET -> Problems.conflict("empty-rollout", "Nothing to roll out", e.getMessage());
                case INVALID -> e.field() == null ? Problems.badRequest(e.getMessage())
                        : Problems.invalidField(e.field(), e.getMessage());
            };
        }
    }
}
