package net.otb.agent.linux;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceDescription;
import net.otb.protocol.BandwidthProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shapes a Linux interface with {@code tc}: upload with HTB on its egress, download by redirecting its ingress
 * to an IFB device shaped with HTB (the layout is in {@link TcCommands}, the class parameters in {@link HtbRate}).
 *
 * <ul>
 *   <li>A new profile over a complete layout changes the two class rates in place ({@code tc class change}):
 *       traffic is never unshaped during a change.</li>
 *   <li>Re-applying the shaping in force runs nothing.</li>
 *   <li>A failure (a missing interface or tool, no permission, a timeout) undoes what this apply did, in reverse
 *       order: the previous rates come back, or, on a first apply, what was created is removed. The stage then
 *       fails with a {@link BackendException} carrying the tool's own message.</li>
 *   <li>{@link #clear()} removes the ingress redirect, the HTB root and the IFB device.</li>
 *   <li>{@link #describe()} is what the kernel said when read back ({@code ip -j}, {@code tc -j}) after the last
 *       operation, not what this class meant to set.</li>
 * </ul>
 *
 * <p>Commands run on one thread owned by the backend, so the agent's event loop never waits on {@code tc} and
 * operations run one at a time in the order they were asked. The backend owns the interface's root and ingress
 * qdiscs: do not run SQM on the same interface.
 */
public final class LinuxTcBackend implements DeviceBackend {

    private static final Logger LOG = LoggerFactory.getLogger(LinuxTcBackend.class);
    private static final List<String> CAPABILITIES = List.of("shaping.htb", "shaping.ifb");

    private final LinuxTcSettings settings;
    private final CommandRunner runner;
    private final TcCommands commands;
    private final TcReader reader;
    private final ExecutorService executor;
    /** Written on the backend's thread only; read by {@link #describe()} on any thread. */
    private volatile TcState state;
    /** The leaf qdisc this kernel accepted last; touched on the backend's thread only. */
    private LeafQdisc workingLeaf;

    private LinuxTcBackend(LinuxTcSettings settings, CommandRunner runner) {
        this.settings = settings;
        this.runner = runner;
        this.commands = new TcCommands(settings.interfaceName(), settings.ifbName());
        this.reader = new TcReader(runner, commands);
        this.executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "otb-linux-tc-" + settings.interfaceName());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Makes the backend and reads the shaping in force, on the calling thread (the agent's start-up): shaping left
     * by a previous run is adopted and later changed in place.
     *
     * @throws IllegalArgumentException {@code backend.interface: no such interface …} when it does not exist
     * @throws BackendException when {@code ip} or {@code tc} cannot be run or read
     */
    public static LinuxTcBackend open(LinuxTcSettings settings, CommandRunner runner) throws BackendException {
        LinuxTcBackend backend = new LinuxTcBackend(settings, runner);
        try {
            backend.state = backend.reader.read();
        } catch (BackendException | RuntimeException e) {
            backend.close();
            throw e;
        }
        if (!backend.state.interfacePresent()) {
            backend.close();
            throw new IllegalArgumentException("backend.interface: no such interface " + settings.interfaceName()
                    + (settings.netns() == null ? "" : " in network namespace " + settings.netns()));
        }
        LOG.info("linux-tc on {} (ifb {}): {}", settings.interfaceName(), settings.ifbName(), backend.state);
        return backend;
    }

    public LinuxTcSettings settings() {
        return settings;
    }

    @Override
    public CompletionStage<Void> apply(BandwidthProfile profile) {
        Objects.requireNonNull(profile, "profile");
        return submit(() -> {
            applyRates(profile.downKbps(), profile.upKbps());
            return null;
        });
    }

    @Override
    public CompletionStage<Void> clear() {
        return submit(() -> {
            removeAll();
            return null;
        });
    }

    /** Reads the shaping back from the kernel again, e.g. after someone ran {@code tc} by hand. */
    public CompletionStage<DeviceDescription> refresh() {
        return submit(() -> {
            state = reader.read();
            return describe();
        });
    }

    @Override
    public DeviceDescription describe() {
        TcState now = state;
        String ifb = settings.ifbName();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("backend", LinuxTcBackendFactory.NAME);
        details.put("interface", settings.interfaceName());
        details.put("ifb", ifb);
        details.put("shaping", now.summary(ifb));
        if (now.upload() != null && now.upload().leaf() != null) {
            details.put("leaf", now.upload().leaf());
        }
        if (settings.netns() != null) {
            details.put("netns", settings.netns());
        }
        return new DeviceDescription(settings.model(), settings.firmware(), CAPABILITIES, now.downKbps(ifb),
                now.upKbps(ifb), details);
    }

    /** Stops the backend's thread once the operation under way is done; the shaping in force stays. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(settings.commandTimeout().toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- on the backend's thread

    private void applyRates(long downKbps, long upKbps) throws BackendException {
        String ifb = settings.ifbName();
        if (state.complete(ifb) && state.downKbps(ifb) == downKbps && state.upKbps(ifb) == upKbps) {
            LOG.debug("{}: {}/{} kbit/s already in force", settings.interfaceName(), downKbps, upKbps);
            return;
        }
        TcState before = reader.read();
        if (!before.interfacePresent()) {
            state = before;
            throw new BackendException("interface " + settings.interfaceName() + " not found");
        }
        Deque<List<String>> undo = new ArrayDeque<>();
        try {
            if (before.complete(ifb)) {
                changeInPlace(before, downKbps, upKbps, undo);
            } else {
                if (!before.empty()) {
                    LOG.warn("{}: rebuilding partial shaping: {}", settings.interfaceName(), before);
                    removeParts(before);
                }
                build(downKbps, upKbps, undo);
            }
            TcState after = reader.read();
            if (!after.complete(ifb) || after.downKbps(ifb) != downKbps || after.upKbps(ifb) != upKbps) {
                throw new BackendException("read back after applying " + downKbps + "/" + upKbps
                        + " kbit/s (down/up) shows " + after);
            }
            state = after;
            LOG.info("{}: shaping down {} kbit/s, up {} kbit/s (was {}/{})", settings.interfaceName(), downKbps,
                    upKbps, before.downKbps(ifb), before.upKbps(ifb));
        } catch (BackendException e) {
            throw rollBack(e, undo, before);
        }
    }

    private void changeInPlace(TcState before, long downKbps, long upKbps, Deque<List<String>> undo)
            throws BackendException {
        String ifb = settings.ifbName();
        if (before.downKbps(ifb) != downKbps) {
            step(commands.changeClass(ifb, HtbRate.of(downKbps)),
                    commands.changeClass(ifb, HtbRate.of(before.downKbps(ifb))), undo);
        }
        if (before.upKbps(ifb) != upKbps) {
            String iface = settings.interfaceName();
            step(commands.changeClass(iface, HtbRate.of(upKbps)),
                    commands.changeClass(iface, HtbRate.of(before.upKbps(ifb))), undo);
        }
    }

    /**
     * Builds the layout from nothing. The download side comes first and the redirect last, so that no packet is
     * ever redirected to an IFB that is not shaping yet.
     */
    private void build(long downKbps, long upKbps, Deque<List<String>> undo) throws BackendException {
        String iface = settings.interfaceName();
        String ifb = settings.ifbName();
        step(commands.addIfb(), commands.deleteIfb(), undo);
        step(commands.ifbUp(), null, undo);
        shapeEgress(ifb, HtbRate.of(downKbps), null, undo);
        shapeEgress(iface, HtbRate.of(upKbps), commands.deleteRoot(iface), undo);
        step(commands.addIngress(), commands.deleteIngress(), undo);
        step(commands.addRedirect(), null, undo);
    }

    private void shapeEgress(String dev, HtbRate rate, List<String> undoRoot, Deque<List<String>> undo)
            throws BackendException {
        step(commands.addRootHtb(dev), undoRoot, undo);
        step(commands.addClass(dev, rate), null, undo);
        addLeaf(dev);
    }

    /**
     * The first leaf the kernel knows; an unknown kind moves on to the next preference, and the one that worked is
     * tried first from then on, so a kernel without fq_codel is told so once.
     */
    private void addLeaf(String dev) throws BackendException {
        List<LeafQdisc> leaves = new ArrayList<>(settings.leaves());
        LeafQdisc known = workingLeaf;
        if (known != null) {
            leaves.remove(known);
            leaves.add(0, known);
        }
        for (int i = 0; i < leaves.size(); i++) {
            CommandResult result = TcReader.run(runner, commands.addLeaf(dev, leaves.get(i)));
            if (result.succeeded()) {
                workingLeaf = leaves.get(i);
                return;
            }
            boolean unknownKind = result.stderr().toLowerCase(Locale.ROOT).contains("unknown");
            if (!unknownKind || i == leaves.size() - 1) {
                throw new BackendException(result.failureMessage());
            }
            LOG.info("{}: this kernel has no {} qdisc, trying {}", dev, leaves.get(i).kind(), leaves.get(i + 1).kind());
        }
    }

    /**
     * Runs {@code command}; once it succeeded (or timed out, when nobody knows whether it took effect),
     * {@code compensation} joins the undo list.
     */
    private void step(List<String> command, List<String> compensation, Deque<List<String>> undo)
            throws BackendException {
        CommandResult result;
        try {
            result = TcReader.run(runner, command);
        } catch (BackendException e) {
            if (e.getCause() instanceof CommandTimeoutException && compensation != null) {
                undo.push(compensation);
            }
            throw e;
        }
        if (!result.succeeded()) {
            throw new BackendException(result.failureMessage());
        }
        if (compensation != null) {
            undo.push(compensation);
        }
    }

    /**
     * Undoes in reverse order, then reads the kernel back to say truthfully whether the shaping in force before
     * (or, when it was partial, none) is back. A failed undo step is only logged: a compensation for a command that
     * timed out without effect is expected to find nothing to undo.
     */
    private BackendException rollBack(BackendException failure, Deque<List<String>> undo, TcState before) {
        String ifb = settings.ifbName();
        while (!undo.isEmpty()) {
            List<String> command = undo.pop();
            try {
                CommandResult result = TcReader.run(runner, command);
                if (!result.succeeded()) {
                    LOG.warn("{}: undo step failed: {}", settings.interfaceName(), result.failureMessage());
                }
            } catch (BackendException e) {
                LOG.warn("{}: undo step failed: {}", settings.interfaceName(), e.getMessage());
            }
        }
        String outcome;
        try {
            TcState after = reader.read();
            state = after;
            boolean restored = before.complete(ifb)
                    ? after.complete(ifb) && after.downKbps(ifb) == before.downKbps(ifb)
                            && after.upKbps(ifb) == before.upKbps(ifb)
                    : after.empty();
            outcome = restored ? "; previous shaping restored (" + after.summary(ifb) + ")"
                    : "; could not restore the previous shaping, now: " + after;
        } catch (BackendException e) {
            outcome = "; cannot read the shaping back: " + e.getMessage();
        }
        String message = failure.getMessage() + outcome;
        LOG.warn("{}: apply failed: {}", settings.interfaceName(), message);
        return new BackendException(message, failure);
    }

    private void removeAll() throws BackendException {
        TcState before = reader.read();
        try {
            removeParts(before);
        } finally {
            state = reader.read();
        }
        if (!state.empty()) {
            throw new BackendException("read back after clearing shows " + state);
        }
        LOG.info("{}: shaping cleared", settings.interfaceName());
    }

    /** Removes the redirect first, so download traffic never goes to a device about to vanish. */
    private void removeParts(TcState present) throws BackendException {
        if (present.ingress()) {
            mustSucceed(commands.deleteIngress());
        }
        if (present.upload() != null) {
            mustSucceed(commands.deleteRoot(settings.interfaceName()));
        }
        if (present.ifbPresent()) {
            mustSucceed(commands.deleteIfb());
        }
    }

    private void mustSucceed(List<String> command) throws BackendException {
        CommandResult result = TcReader.run(runner, command);
        if (!result.succeeded()) {
            throw new BackendException(result.failureMessage());
        }
    }

    private interface Operation<T> {
        T run() throws BackendException;
    }

    private <T> CompletionStage<T> submit(Operation<T> operation) {
        CompletableFuture<T> done = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    done.complete(operation.run());
                } catch (BackendException e) {
                    done.completeExceptionally(e);
                } catch (RuntimeException e) {
                    LOG.warn("{}: unexpected failure", settings.interfaceName(), e);
                    done.completeExceptionally(new BackendException("linux-tc backend failed: " + e, e));
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new BackendException("linux-tc backend on " + settings.interfaceName()
                    + " is closed"));
        }
        return done;
    }
}
