package net.otb.simulator.hardware;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;

/**
 * One simulated box: its WAN links, the aggregation tunnel that carries the service IP, and the shaper
 * (HTB up, IFB down on a real box) whose rates the agent programs.
 *
 * <p>An apply takes the model's reprogramming time (plus any injected slowness), measured on the injected
 * scheduler: ten thousand boxes share a few event-loop threads, so nothing here ever blocks or sleeps.
 * A profile above the box's nominal capacity is applied as asked (the box stays compatible); the traffic
 * it can really carry is then capped by the model, which {@link #effectiveDownKbps()} shows.
 *
 * <p>Thread-safe: the agent calls in from its event loop, completions run on the scheduler.
 */
public final class SimulatedBox implements DeviceBackend {

    static final List<String> CAPABILITIES = List.of("shaping.htb", "shaping.ifb", "tunnel.mptcp");

    private final String serial;
    private final BoxModel model;
    private final String firmware;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final Faults faults;
    private final BoxListener listener;
    private final List<WanLink> wanLinks;

    private long shaperDownKbps;
    private long shaperUpKbps;
    private BandwidthProfile inForce;
    private Instant lastChange;
    private long applies;
    private boolean powered = true;
    private boolean ownsScheduler;
    private volatile AppliedHistory history;

    public SimulatedBox(String serial, BoxModel model, String firmware, ScheduledExecutorService scheduler,
                        Clock clock, Faults faults, BoxListener listener) {
        if (serial == null || serial.isBlank()) {
            throw new IllegalArgumentException("a box needs a serial");
        }
        this.serial = serial;
        this.model = requireNonNull(model, "model");
        this.firmware = requireNonNull(firmware, "firmware");
        this.scheduler = requireNonNull(scheduler, "scheduler");
        this.clock = requireNonNull(clock, "clock");
        this.faults = requireNonNull(faults, "faults");
        this.listener = requireNonNull(listener, "listener");
        List<WanLink> links = new ArrayList<>(model.wanCapacitiesKbps().size());
        for (int i = 0; i < model.wanCapacitiesKbps().size(); i++) {
            links.add(new WanLink("wan" + i, model.wanCapacitiesKbps().get(i)));
        }
        this.wanLinks = List.copyOf(links);
    }

    /**
     * A box with a scheduler thread of its own, for an agent process run alone with {@code backend=simulated};
     * {@link #close()} stops that thread.
     */
    public static SimulatedBox standalone(String serial, BoxModel model, String firmware, Clock clock) {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "simulated-box-" + serial);
            thread.setDaemon(true);
            return thread;
        });
        SimulatedBox box = new SimulatedBox(serial, model, firmware, scheduler, clock, new Faults(), BoxListener.NONE);
        box.ownsScheduler = true;
        return box;
    }

    @Override
    public void close() {
        if (ownsScheduler) {
            scheduler.shutdown();
        }
    }

    @Override
    public CompletionStage<Void> apply(BandwidthProfile profile) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (profile == null) {
            done.completeExceptionally(new BackendException("no profile to apply"));
            return done;
        }
        synchronized (this) {
            if (powered && profile.equals(inForce)) {
                record(profile);
                done.complete(null);
                return done;
            }
        }
        long delay = model.applyMillis() + faults.extraApplyMillis();
        schedule(done, delay, () -> finishApply(profile, done));
        return done;
    }

    private void finishApply(BandwidthProfile profile, CompletableFuture<Void> done) {
        if (faults.takeCrash()) {
            synchronized (this) {
                powered = false;
            }
            listener.crashed(this).whenComplete((ok, failure) -> done.completeExceptionally(
                    new BackendException("box " + serial + " lost power during the apply")));
            return;
        }
        String rejection = faults.takeRejection();
        if (rejection != null) {
            listener.rejected(this, profile, rejection);
            done.completeExceptionally(new BackendException(rejection));
            return;
        }
        synchronized (this) {
            if (!powered) {
                done.completeExceptionally(new BackendException("box " + serial + " is powered off"));
                return;
            }
            shaperDownKbps = profile.downKbps();
            shaperUpKbps = profile.upKbps();
            inForce = profile;
            lastChange = clock.instant();
            applies++;
        }
        record(profile);
        listener.applied(this, profile);
        Runnable after = faults.takeAfterApply();
        if (after != null) {
            after.run();
        }
        done.complete(null);
    }

    /** From now on every apply that completes is logged to {@code value} (null stops logging). */
    public void recordAppliesTo(AppliedHistory value) {
        history = value;
    }

    private void record(BandwidthProfile profile) {
        AppliedHistory log = history;
        if (log != null) {
            log.applied(profile);
        }
    }

    @Override
    public CompletionStage<Void> clear() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        schedule(done, model.applyMillis(), () -> {
            synchronized (this) {
                shaperDownKbps = 0;
                shaperUpKbps = 0;
                inForce = null;
                lastChange = clock.instant();
            }
            listener.cleared(this);
            done.complete(null);
        });
        return done;
    }

    private void schedule(CompletableFuture<Void> done, long delayMillis, Runnable work) {
        try {
            scheduler.schedule(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    done.completeExceptionally(new BackendException("simulated shaper failed: " + e, e));
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new BackendException("box " + serial + " is shutting down", e));
        }
    }

    @Override
    public synchronized DeviceDescription describe() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("serial", serial);
        details.put("nominalKbps", Long.toString(model.nominalKbps()));
        details.put("effectiveDownKbps", Long.toString(effectiveDownKbps()));
        details.put("deviceLimited", Boolean.toString(deviceLimited()));
        details.put("tunnel", tunnelUp() ? "up " + (inForce == null ? "-" : inForce.serviceIp()) : "down");
        StringBuilder wan = new StringBuilder();
        for (WanLink link : wanLinks) {
            wan.append(wan.length() == 0 ? "" : ",").append(link);
        }
        details.put("wan", wan.toString());
        return new DeviceDescription(model.wireName(), firmware, CAPABILITIES, shaperDownKbps, shaperUpKbps, details);
    }

    /** Restores power after a crash: the shaper keeps what was in force, as tc state lost on reboot is re-applied by the agent. */
    public synchronized void powerOn() {
        powered = true;
    }

    public synchronized boolean isPowered() {
        return powered;
    }

    /** Cuts the access line on WAN port {@code index}; the tunnel carries on over the others. */
    public void cutWan(int index) {
        wanLinks.get(index).setUp(false);
    }

    public void restoreWan(int index) {
        wanLinks.get(index).setUp(true);
    }

    public List<WanLink> wanLinks() {
        return wanLinks;
    }

    /** The tunnel is up while at least one WAN line is. */
    public boolean tunnelUp() {
        for (WanLink link : wanLinks) {
            if (link.isUp()) {
                return true;
            }
        }
        return false;
    }

    /** The download rate the customer really gets: the shaper's rate, capped by the box and the live lines. */
    public synchronized long effectiveDownKbps() {
        long lines = 0;
        for (WanLink link : wanLinks) {
            lines += link.isUp() ? link.capacityKbps() : 0;
        }
        return Math.min(shaperDownKbps, Math.min(model.nominalKbps(), lines));
    }

    /** The profile asks more than the box can carry: the server shows the service as device-limited. */
    public synchronized boolean deviceLimited() {
        return inForce != null && (inForce.downKbps() > model.nominalKbps() || inForce.upKbps() > model.nominalKbps());
    }

    public String serial() {
        return serial;
    }

    public BoxModel model() {
        return model;
    }

    public Faults faults() {
        return faults;
    }

    public synchronized long shaperDownKbps() {
        return shaperDownKbps;
    }

    public synchronized long shaperUpKbps() {
        return shaperUpKbps;
    }

    /** The profile the shaper enforces, or null when unshaped. */
    public synchronized BandwidthProfile inForce() {
        return inForce;
    }

    /** When the shaper last changed, or null if never. */
    public synchronized Instant lastChange() {
        return lastChange;
    }

    /** How many applies succeeded. */
    public synchronized long applies() {
        return applies;
    }

    private static <T> T requireNonNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }

    @Override
    public String toString() {
        return serial + " (" + model.wireName() + ")";
    }
}
