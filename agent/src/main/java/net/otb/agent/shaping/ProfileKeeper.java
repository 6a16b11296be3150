package net.otb.agent.shaping;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.ProfilePush;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box's shaping as the server asked for it: applies pushed profiles through the backend, keeps the state on
 * disk, and reverts a profile that is not confirmed in time (commit-confirmed). Transport-free: the session
 * hands it messages, it answers {@link Applied} values.
 *
 * <p>Every method must be called on {@code loop}, the agent's event loop; backend completions come back to it.
 * Operations run one at a time in arrival order, so a push, a confirm and a rollback never interleave.
 * State is saved after the backend succeeded and before the server hears of it: after a crash the saved
 * profile is the one in force, or the one before it (re-applied at start, then pushed again by the server).
 *
 * <p>Every backend call has a deadline ({@code backendTimeout}): a call that never completes must not hold the
 * queue, or no later push, confirm or rollback would ever run. A push whose apply times out is answered
 * {@code rejected}, after the profile in force before it was put back (the backend may have applied part of
 * it). When a call the keeper gave up on completes after all, the box may now be shaped by it rather than by
 * the saved state, so the keeper re-applies the saved profile (queued like any operation) unless that call put
 * exactly the saved profile in force.
 */
public final class ProfileKeeper {

    /** What the keeper tells the agent. Called on the loop. */
    public interface Events {
        void applied(BandwidthProfile profile);

        void rejected(long generation, String detail);

        void rolledBack(long generation);

        void confirmed(long generation);
    }

    /** Wait before a failed rollback is tried again. */
    static final Duration ROLLBACK_RETRY = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(ProfileKeeper.class);

    private final String deviceId;
    private final DeviceBackend backend;
    private final StateStore store;
    private final ScheduledExecutorService loop;
    private final Clock clock;
    private final Duration confirmCap;
    private final Duration backendTimeout;
    private final Events events;

    private volatile AgentState state = AgentState.EMPTY;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
    private ScheduledFuture<?> rollbackTimer;
    private boolean closed;

    /**
     * @param backendTimeout how long one {@code apply} or {@code clear} may take before the keeper gives up on it
     */
    public ProfileKeeper(String deviceId, DeviceBackend backend, StateStore store, ScheduledExecutorService loop,
                         Clock clock, Duration confirmCap, Duration backendTimeout, Events events) {
        if (backendTimeout.isNegative() || backendTimeout.isZero()) {
            throw new IllegalArgumentException("backendTimeout must be positive, got " + backendTimeout);
        }
        this.backendTimeout = backendTimeout;
        this.deviceId = deviceId;
        this.backend = backend;
        this.store = store;
        this.loop = loop;
        this.clock = clock;
        this.confirmCap = confirmCap;
        this.events = events;
    }

    /** The state in force; readable from any thread. */
    public AgentState state() {
        return state;
    }

    /**
     * Loads the saved state and puts its profile back in force, before the agent connects: a box that
     * rebooted offline keeps its shaping. A pending confirm whose deadline passed while the agent was down is
     * rolled back now; one still running gets its timer back.
     *
     * @throws IOException when the saved state cannot be read (the agent must not guess a customer's shaping)
     */
    public CompletionStage<AgentState> start() throws IOException {
        state = store.load();
        return enqueue(() -> {
            AgentState loaded = state;
            if (loaded.decommissioned() != null) {
                return CompletableFuture.completedFuture(loaded);
            }
            if (loaded.pending() != null && loaded.pending().deadlineEpochMillis() <= clock.millis()) {
                LOG.info("{}: generation {} was not confirmed before the agent stopped; rolling back",
                        deviceId, loaded.pending().generation());
                return doRollback(loaded.pending().generation()).thenApply(x -> state);
            }
            if (loaded.applied() == null) {
                LOG.info("{}: no profile saved; the box stays as it is", deviceId);
                return CompletableFuture.completedFuture(loaded);
            }
            LOG.info("{}: re-applying saved generation {} ({} down / {} up kbit/s)", deviceId,
                    loaded.applied().generation(), loaded.applied().downKbps(), loaded.applied().upKbps());
            return apply(loaded.applied()).handleAsync((ok, failure) -> {
                if (failure != null) {
                    LOG.warn("{}: re-applying generation {} failed: {}", deviceId, loaded.applied().generation(),
                            message(failure));
                }
                if (state.pending() != null) {
                    scheduleRollback(state.pending());
                }
                return state;
            }, loop);
        });
    }

    /**
     * Handles a push.
     *
     * @return the answer to send, or {@code null} when the push is ignored (an older generation)
     */
    public CompletionStage<Applied> push(ProfilePush push) {
        return enqueue(() -> {
            BandwidthProfile profile = push.profile();
            BandwidthProfile current = state.applied();
            if (current != null && profile.generation() == current.generation()) {
                LOG.debug("{}: generation {} is already applied; acknowledging again", deviceId, profile.generation());
                return CompletableFuture.completedFuture(new Applied(profile.generation(), Applied.Status.APPLIED,
                        "already applied"));
            }
            if (current != null && profile.generation() < current.generation()) {
                LOG.info("{}: ignoring generation {}, older than the applied {}", deviceId, profile.generation(),
                        current.generation());
                return CompletableFuture.completedFuture(null);
            }
            return apply(profile).handleAsync((ok, failure) -> {
                if (unwrap(failure) instanceof BackendTimeoutException) {
                    return timedOut(profile, current, message(failure));
                }
                if (failure != null) {
                    String detail = message(failure);
                    LOG.info("{}: generation {} rejected: {}", deviceId, profile.generation(), detail);
                    events.rejected(profile.generation(), detail);
                    return CompletableFuture.completedFuture(
                            new Applied(profile.generation(), Applied.Status.REJECTED, detail));
                }
                return committed(push, profile);
            }, loop).thenCompose(x -> x);
        });
    }

    /**
     * The apply of {@code profile} did not finish in time: nothing says what the box now runs, so the profile in
     * force before is put back (or the shaping cleared) and the push is rejected; the saved state is unchanged.
     */
    private CompletionStage<Applied> timedOut(BandwidthProfile profile, BandwidthProfile before, String why) {
        LOG.warn("{}: generation {}: {}; restoring {}", deviceId, profile.generation(), why, describe(before));
        return restore(before).handle((ok, failure) -> {
            String detail = failure == null
                    ? why + "; restored " + describe(before)
                    : why + "; restoring " + describe(before) + " failed too: " + message(failure);
            events.rejected(profile.generation(), detail);
            return new Applied(profile.generation(), Applied.Status.REJECTED, detail);
        });
    }

    private CompletionStage<Applied> committed(ProfilePush push, BandwidthProfile profile) {
        AgentState before = state;
        // roll back to the last confirmed profile, not to one that was itself awaiting its confirm
        BandwidthProfile previous = before.pending() == null ? before.applied() : before.previous();
        long waitMillis = Math.min(TimeUnit.SECONDS.toMillis(push.confirmSeconds()), confirmCap.toMillis());
        AgentState.PendingConfirm pending = new AgentState.PendingConfirm(profile.generation(),
                clock.millis() + waitMillis);
        AgentState after = new AgentState(profile, previous, pending, before.unreportedRollback(), null);
        try {
            store.save(after);
        } catch (IOException e) {
            LOG.warn("{}: cannot save generation {}: {}; restoring the previous shaping", deviceId,
                    profile.generation(), e.getMessage());
            String detail = "cannot save the agent state: " + e.getMessage();
            events.rejected(profile.generation(), detail);
            return restore(before.applied()).handle((ok, failure) ->
                    new Applied(profile.generation(), Applied.Status.REJECTED, detail));
        }
        state = after;
        scheduleRollback(pending);
        LOG.info("{}: generation {} applied ({} down / {} up kbit/s), awaiting confirm within {} ms", deviceId,
                profile.generation(), profile.downKbps(), profile.upKbps(), waitMillis);
        events.applied(profile);
        return CompletableFuture.completedFuture(new Applied(profile.generation(), Applied.Status.APPLIED, null));
    }

    /** Handles {@code confirm}: returns whether it settled the pending generation. */
    public CompletionStage<Boolean> confirm(long generation) {
        return enqueue(() -> {
            AgentState.PendingConfirm pending = state.pending();
            if (pending == null || pending.generation() != generation) {
                LOG.debug("{}: confirm of generation {} matches nothing pending", deviceId, generation);
                return CompletableFuture.completedFuture(false);
            }
            cancelRollback();
            AgentState after = state.confirmed();
            state = after;
            try {
                store.save(after);
            } catch (IOException e) {
                // in memory it is confirmed; after a restart the stale marker would roll back, and the server re-pushes
                LOG.warn("{}: cannot save the confirm of generation {}: {}", deviceId, generation, e.getMessage());
            }
            LOG.info("{}: generation {} confirmed", deviceId, generation);
            events.confirmed(generation);
            return CompletableFuture.completedFuture(true);
        });
    }

    /** The rollback the server has not heard of yet, as the message that tells it. */
    public Optional<Applied> unreportedRollback() {
        AgentState current = state;
        if (current.unreportedRollback() == null) {
            return Optional.empty();
        }
        String to = current.applied() == null ? "no shaping" : "generation " + current.applied().generation();
        return Optional.of(new Applied(current.unreportedRollback(), Applied.Status.ROLLED_BACK,
                "no confirm in time; reverted to " + to));
    }

    /** The server has been told of the rollback of {@code generation}. */
    public void rollbackReported(long generation) {
        enqueue(() -> {
            if (state.unreportedRollback() != null && state.unreportedRollback() == generation) {
                AgentState after = state.withUnreportedRollback(null);
                state = after;
                try {
                    store.save(after);
                } catch (IOException e) {
                    LOG.warn("{}: cannot save the report of rollback {}: {}", deviceId, generation, e.getMessage());
                }
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Clears the shaping and remembers the box is decommissioned, so that it does not come back on restart. */
    public CompletionStage<Void> decommission(String reason) {
        return enqueue(() -> {
            cancelRollback();
            return clear().handleAsync((ok, failure) -> {
                if (failure != null) {
                    LOG.warn("{}: clearing the shaping failed: {}", deviceId, message(failure));
                }
                AgentState after = new AgentState(null, null, null, null, reason);
                state = after;
                try {
                    store.save(after);
                } catch (IOException e) {
                    LOG.warn("{}: cannot save the decommission: {}", deviceId, e.getMessage());
                }
                return (Void) null;
            }, loop);
        });
    }

    /** Stops the timers; the shaping and the saved state stay as they are. */
    public void close() {
        closed = true;
        cancelRollback();
    }

    private void scheduleRollback(AgentState.PendingConfirm pending) {
        cancelRollback();
        if (closed) {
            return;
        }
        long delay = Math.max(0, pending.deadlineEpochMillis() - clock.millis());
        rollbackTimer = loop.schedule(() -> {
            enqueue(() -> {
                AgentState.PendingConfirm now = state.pending();
                if (closed || now == null || now.generation() != pending.generation()) {
                    return CompletableFuture.completedFuture(null);
                }
                LOG.info("{}: no confirm of generation {} in time; rolling back", deviceId, pending.generation());
                return doRollback(pending.generation());
            });
        }, delay, TimeUnit.MILLISECONDS);
    }

    private void cancelRollback() {
        if (rollbackTimer != null) {
            rollbackTimer.cancel(false);
            rollbackTimer = null;
        }
    }

    /** Puts the previous profile back; runs inside the queue. */
    private CompletionStage<Void> doRollback(long generation) {
        AgentState before = state;
        BandwidthProfile target = before.previous();
        return restore(target).handleAsync((ok, failure) -> {
            if (failure != null) {
                LOG.warn("{}: rollback of generation {} failed: {}; retrying in {} s", deviceId, generation,
                        message(failure), ROLLBACK_RETRY.toSeconds());
                scheduleRollback(new AgentState.PendingConfirm(generation, clock.millis() + ROLLBACK_RETRY.toMillis()));
                return (Void) null;
            }
            AgentState after = new AgentState(target, null, null, generation, null);
            state = after;
            try {
                store.save(after);
            } catch (IOException e) {
                LOG.warn("{}: cannot save the rollback of generation {}: {}", deviceId, generation, e.getMessage());
            }
            events.rolledBack(generation);
            return (Void) null;
        }, loop);
    }

    private CompletionStage<Void> restore(BandwidthProfile target) {
        return target == null ? clear() : apply(target);
    }

    private CompletionStage<Void> apply(BandwidthProfile profile) {
        return withDeadline(profile, "apply generation " + profile.generation(), () -> backend.apply(profile));
    }

    private CompletionStage<Void> clear() {
        return withDeadline(null, "clear the shaping", backend::clear);
    }

    /**
     * The backend call, failed with a {@link BackendTimeoutException} once {@code backendTimeout} passed. The
     * stage completes on whichever thread gets there first (callers hop back to the loop with
     * {@code handleAsync}).
     *
     * @param target what the call puts in force ({@code null}: no shaping), to judge a late completion
     */
    private CompletionStage<Void> withDeadline(BandwidthProfile target, String what,
                                               Supplier<CompletionStage<Void>> call) {
        CompletionStage<Void> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        ScheduledFuture<?> timer = loop.schedule(() -> {
            result.completeExceptionally(new BackendTimeoutException(
                    "the backend did not " + what + " within " + backendTimeout.toMillis() + " ms"));
        }, backendTimeout.toMillis(), TimeUnit.MILLISECONDS);
        stage.whenComplete((ok, failure) -> {
            timer.cancel(false);
            boolean inTime = failure == null ? result.complete(null) : result.completeExceptionally(failure);
            if (!inTime) {
                loop.execute(() -> lateCompletion(target, what, failure));
            }
        });
        return result;
    }

    /** A call the keeper had given up on completed: put the saved profile back if the box may now differ. */
    private void lateCompletion(BandwidthProfile target, String what, Throwable failure) {
        if (closed) {
            return;
        }
        LOG.warn("{}: the backend finished '{}' after the keeper gave up on it ({})", deviceId, what,
                failure == null ? "succeeded" : "failed: " + message(failure));
        if (failure == null && Objects.equals(target, state.applied())) {
            return;
        }
        enqueue(() -> {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            BandwidthProfile saved = state.applied();
            LOG.info("{}: re-applying {} after the late '{}'", deviceId, describe(saved), what);
            return restore(saved).handle((ok, again) -> {
                if (again != null) {
                    LOG.warn("{}: re-applying {} failed: {}", deviceId, describe(saved), message(again));
                }
                return (Void) null;
            });
        });
    }

    private static String describe(BandwidthProfile profile) {
        return profile == null ? "no shaping" : "generation " + profile.generation();
    }

    /** The backend did not complete a call within the keeper's deadline. */
    static final class BackendTimeoutException extends BackendException {
        BackendTimeoutException(String message) {
            super(message);
        }
    }

    /** Runs {@code operation} on the loop after every earlier one finished, whatever their outcome. */
    private <T> CompletionStage<T> enqueue(Supplier<CompletionStage<T>> operation) {
        CompletableFuture<T> result = tail.handleAsync((x, e) -> operation, loop)
                .thenCompose(op -> {
                    try {
                        return op.get();
                    } catch (RuntimeException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }).toCompletableFuture();
        tail = result.exceptionally(e -> {
            LOG.warn("{}: shaping operation failed", deviceId, e);
            return null;
        });
        return result;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    static String message(Throwable failure) {
        Throwable cause = unwrap(failure);
        String text = cause.getMessage();
        if (text == null || text.isBlank()) {
            text = cause.getClass().getSimpleName();
        }
        return text.length() > 1_000 ? text.substring(0, 1_000) : text;
    }
}
