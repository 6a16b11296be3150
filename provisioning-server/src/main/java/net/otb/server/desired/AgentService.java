package net.otb.server.desired;

import java.security.cert.X509Certificate;
import net.otb.protocol.logging.LogFields;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.ProtocolVersion;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import net.otb.server.device.Device;
import net.otb.server.device.DeviceState;
import net.otb.server.device.Devices;
import net.otb.server.device.HelloListener;
import net.otb.server.device.Service;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of an agent session, free of Netty: the gateway hands it a box's messages and sends what it
 * returns. Decisions are made on the box's state in memory ({@link BoxMemory}, loaded once from the store) and
 * the store receives what changed, committed before the gateway writes, so the store is always ahead of the wire
 * (docs/architecture.md, "The box's state lives with its stripe"). Thread-safe; the gateway calls it for one box
 * from one thread at a time (the box's stripe).
 */
public final class AgentService {

    /** The outcome of a hello: accepted, or refused with the code to answer. */
    public sealed interface HelloOutcome {
    }

    /**
     * The box may open its session.
     *
     * @param token the session's fencing token: every later write for the box carries it
     */
    public record Accepted(String deviceId, int protocol, boolean firstConnection, long token) implements HelloOutcome {
    }

    /** The box is refused; the session ends with this error. */
    public record Refused(ErrorCode code, String detail) implements HelloOutcome {
    }

    /**
     * What to send after a message, and whether the box's desired state must then be reconciled.
     *
     * @param close end the session after sending (box revoked, token superseded)
     */
    public record Reply(List<Message> messages, boolean reconcile, boolean close) {
        static final Reply NOTHING = new Reply(List.of(), false, false);

        static Reply of(Message message) {
            return new Reply(List.of(message), false, false);
        }

        /** The session's token is stale: nothing was written; the session ends with {@code superseded}. */
        static Reply superseded(String detail) {
            return new Reply(List.of(ErrorMessage.of(ErrorCode.SUPERSEDED, detail)), false, true);
        }
    }

    /** Why the gateway reconciles: a hello sends everything open again; a change only what is new. */
    public enum Trigger {
        HELLO, CHANGE, SWEEP
    }

    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);

    private final Database database;
    private final Services services;
    private final Devices devices;
    private final PushTasks tasks;
    private final AuditLog audit;
    private final DesiredStateEngine engine;
    private final Supplier<List<HelloListener>> helloListeners;
    private final Metrics metrics;
    private final CertificateAuthority authority;
    private final int confirmSeconds;
    private final Duration ackTimeout;
    private final int maxRollbackRepush;
    private final BoxStore store;
    private final BoxMemory memory;
    /** Boxes whose last hello wrote nothing: their last-seen time is written in batches ({@link #flushSeen}). */
    private final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile String instanceId = "local";
    private volatile ChangeAnnouncer announcer = ChangeAnnouncer.NONE;

    /**
     * @param authority signs renewals; null when this server does not sign them
     */
    public AgentService(Database database, Services services, Devices devices, PushTasks tasks, AuditLog audit,
                        DesiredStateEngine engine, Supplier<List<HelloListener>> helloListeners, Metrics metrics,
                        CertificateAuthority authority, int confirmSeconds, Duration ackTimeout, int maxRollbackRepush) {
        this(new SqlBoxStore(), database, services, devices, tasks, audit, engine, helloListeners, metrics, authority,
                confirmSeconds, ackTimeout, maxRollbackRepush);
    }

    /** With the store of the boxes' hot-path state given (tests hold its writes to race them). */
    AgentService(BoxStore store, Database database, Services services, Devices devices, PushTasks tasks,
                 AuditLog audit, DesiredStateEngine engine, Supplier<List<HelloListener>> helloListeners,
                 Metrics metrics, CertificateAuthority authority, int confirmSeconds, Duration ackTimeout,
                 int maxRollbackRepush) {
        this.store = store;
        this.memory = new BoxMemory(store);
        this.database = database;
        this.services = services;
        this.devices = devices;
        this.tasks = tasks;
        this.audit = audit;
        this.engine = engine;
        this.helloListeners = helloListeners;
        this.metrics = metrics;
        this.authority = authority;
        this.confirmSeconds = confirmSeconds;
        this.ackTimeout = ackTimeout;
        this.maxRollbackRepush = maxRollbackRepush;
    }

    /**
     * Names the instance that takes the boxes' sessions here, and how a takeover from another instance is
     * announced (several instances on PostgreSQL). Call before the gateway opens.
     */
    public void ownership(String instance, ChangeAnnouncer changes) {
        this.instanceId = instance;
        this.announcer = changes;
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * Checks a hello against the certificate it came with and the store, records it, and tells the hello
     * listeners, all in one transaction.
     *
     * @param certificateCn the CN of the verified client certificate
     * @param certificateSerial its serial (hex)
     */
    public HelloOutcome hello(String certificateCn, String certificateSerial, Hello hello) {
        return database.inTransaction(tx -> hello(tx, certificateCn, certificateSerial, hello));
    }

    /**
     * Loads, in one go, the states of the boxes a stripe's group is about to handle that memory does not hold: four
     * statements for the whole group instead of four per box.
     */
    public void preload(Tx tx, java.util.Collection<String> deviceIds) throws SQLException {
        memory.preload(tx, deviceIds);
    }

    /**
     * {@link #hello(String, String, Hello)} inside the caller's transaction (the gateway commits many boxes'
     * hellos together); nothing may be answered before {@code tx} commits. Decided on the box's state in memory:
     * a hello that changes nothing (the same instance, certificate, firmware and applied profile) writes nothing.
     */
    public HelloOutcome hello(Tx tx, String certificateCn, String certificateSerial, Hello hello) throws SQLException {
        if (!hello.deviceId().equals(certificateCn)) {
            return new Refused(ErrorCode.FORBIDDEN, "hello.deviceId " + hello.deviceId()
                    + " is not the certificate's CN " + certificateCn);
        }
        OptionalInt protocol = ProtocolVersion.negotiate(hello.protocols());
        if (protocol.isEmpty()) {
            return new Refused(ErrorCode.UNSUPPORTED_VERSION, "no common protocol version: the server speaks "
                    + ProtocolVersion.SUPPORTED + ", the box " + hello.protocols());
        }
        BoxState box = memory.get(tx, hello.deviceId());
        if (box == null) {
            return new Refused(ErrorCode.FORBIDDEN, "the box " + hello.deviceId() + " is not registered");
        }
        if (box.state == DeviceState.REVOKED) {
            return new Refused(ErrorCode.FORBIDDEN, "the box " + hello.deviceId() + " is revoked");
        }
        String id = box.id;
        boolean first = box.firstSeenAt == null;
        // the takeover: when the box's row names another instance (or none), this session's token is one above any
        // session the box had, here or elsewhere, written on the condition that the row still holds the token read;
        // a box whose row already names this instance keeps its token (no write: the fence is against others)
        String previousOwner = box.ownerInstance;
        boolean takeover = !instanceId.equals(previousOwner);
        long token = takeover ? box.ownerToken + 1 : box.ownerToken;
        String model = Interned.of(hello.model());
        String firmware = Interned.of(hello.firmware());
        String agentVersion = Interned.of(hello.agentVersion());
        boolean activate = box.state == DeviceState.REGISTERED;
        if (takeover || first || activate || !model.equals(box.model) || !java.util.Objects.equals(firmware, box.firmware)
                || !java.util.Objects.equals(agentVersion, box.agentVersion)
                || !java.util.Objects.equals(certificateSerial, box.certSerial)) {
            store.recordHello(tx, id, model, firmware, agentVersion, certificateSerial, activate, instanceId, token,
                    box.ownerToken);
            if (takeover && previousOwner != null) {
                announcer.sessionTaken(tx, id, previousOwner, token);
            }
            if (!model.equals(box.model)) {
                store.audit(tx, "device:" + id, "device.modelReported", null, id, null,
                        "registered as " + box.model + ", reports " + model);
            }
            box.ownerInstance = Interned.of(instanceId);
            box.ownerToken = token;
            box.model = model;
            box.firmware = firmware;
            box.agentVersion = agentVersion;
            box.certSerial = certificateSerial;
            if (first) {
                box.firstSeenAt = tx.now();
            }
            if (activate) {
                box.state = DeviceState.ACTIVE;
            }
        } else {
            seen.add(id);
        }
        // the box is the authority on what it runs now (a reset, a rollback while we were away)
        BandwidthProfile applied = hello.applied();
        String appliedService = applied == null ? null : applied.serviceName();
        long appliedGeneration = applied == null ? 0 : applied.generation();
        if (!java.util.Objects.equals(appliedService, box.appliedService) || appliedGeneration != box.appliedGeneration) {
            store.recordApplied(tx, id, appliedService, appliedGeneration, applied == null ? null : applied.offer(),
                    token);
            box.appliedService = appliedService;
            box.appliedGeneration = appliedGeneration;
        }
        if (box.state == DeviceState.DECOMMISSIONED) {
            // accepted only to be told decommission again (reconcile): the one written before may have died with
            // the box before it saved it, so it is sent at every hello until the box has done it and stops coming
            return new Accepted(id, protocol.getAsInt(), false, token);
        }
        if (first) {
            store.audit(tx, "device:" + id, "device.firstConnection", null, id, null,
                    "model=" + hello.model() + " firmware=" + hello.firmware());
        }
        if (box.listenersPending) {
            List<HelloListener> listeners = helloListeners.get();
            if (!listeners.isEmpty()) {
                // a listener reads and writes the store itself: it must see this hello's writes
                store.flush(tx);
                HelloListener.AcceptedHello accepted = new HelloListener.AcceptedHello(id, hello.model(), first);
                boolean changed = false;
                for (HelloListener listener : listeners) {
                    changed |= listener.onHelloAccepted(tx, accepted);
                }
                if (changed) {
                    // it bound the service or changed its profile: this session's reconcile reads them again
                    memory.forget(tx, id);
                    box = memory.get(tx, id);
                }
            }
            box.listenersPending = false;
        }
        return new Accepted(id, protocol.getAsInt(), first, token);
    }

    /**
     * What the box must be sent now: a decommission, a profile, a re-confirm at hello when it is in sync,
     * or nothing. Marks what it returns as sent, only while {@code token} is still the box's (else the reply
     * is {@code superseded} and nothing is written).
     */
    public Reply reconcile(String deviceId, long token, Trigger trigger) {
        return database.inTransaction(tx -> reconcile(tx, deviceId, token, trigger));
    }

    /** {@link #reconcile(String, long, Trigger)} inside the caller's transaction; send the reply only after it commits. */
    public Reply reconcile(Tx tx, String deviceId, long token, Trigger trigger) throws SQLException {
        BoxState box = memory.get(tx, deviceId);
        if (box == null) {
            return new Reply(List.of(ErrorMessage.of(ErrorCode.FORBIDDEN, "the box is no longer registered")), false, true);
        }
        if (box.ownerToken != token) {
            return fenced(box.id, box.ownerInstance, box.ownerToken, "reconcile", token);
        }
        switch (box.state) {
            case REVOKED -> {
                return new Reply(List.of(ErrorMessage.of(ErrorCode.FORBIDDEN, "the box is revoked")), false, true);
            }
            case DECOMMISSIONED -> {
                // told again: a write is not a delivery (the box may have died before it saved the decommission)
                metrics.push("decommission");
                return Reply.of(new Decommission(reason(box.stateDetail)));
            }
            case DECOMMISSIONING -> {
                return decommission(tx, box.id, token);
            }
            default -> {
                return reconcileProfile(tx, box, token, trigger);
            }
        }
    }

    /**
     * Tells a replaced box to decommission, and records it told in this same transaction, which commits before the
     * message is written: the box {@code decommissioned}, its decommission tasks {@code done}. A write lost with the
     * link or with this server loses nothing, since a decommissioned box's hello is told again. Recording it only
     * once written left a window in which the box had been told (and stops for good) while the store still waited
     * for word of it: a store failure or a crash there left the task {@code doing} for ever (the campaign's seed
     * {@code -4360322129440561364}, PostgreSQL restarted just after the write). Rare, so read from the store itself.
     */
    private Reply decommission(Tx tx, String deviceId, long token) throws SQLException {
        store.flush(tx);
        // the box's state changes here, outside the hot path's writes: it is read again when next needed
        memory.forget(tx, deviceId);
        // the fence: the box's row is locked, so no takeover commits between this check and our writes
        Optional<Device> locked = devices.lock(tx, deviceId);
        if (locked.isEmpty() || locked.get().ownerToken() != token) {
            return fenced(locked, "decommission", token);
        }
        Device device = locked.get();
        if (device.state() != DeviceState.DECOMMISSIONING) {
            // revoked meanwhile: the next reconcile reads it
            return Reply.NOTHING;
        }
        List<PushTask> open = tasks.byDevice(tx, device.id(), 50).stream()
                .filter(t -> t.kind() == TaskKind.DECOMMISSION && t.open()).toList();
        devices.setState(tx, device.id(), DeviceState.DECOMMISSIONED, device.stateDetail());
        for (PushTask task : open) {
            // sent (its attempt and time), then done: nothing waits for word of the write
            tasks.markSent(tx, task.id(), device.id(), token);
            tasks.finish(tx, task.id(), TaskState.DONE, "told", null);
            audit.append(tx, "system", "device.decommissioned", task.serviceName(), device.id(), task.generation(),
                    device.stateDetail());
        }
        metrics.push("decommission");
        return Reply.of(new Decommission(reason(device.stateDetail())));
    }

    private static String reason(String stateDetail) {
        return stateDetail == null ? "this box was replaced" : stateDetail;
    }

    private Reply reconcileProfile(Tx tx, BoxState box, long token, Trigger trigger) throws SQLException {
        if (box.serviceName == null) {
            return Reply.NOTHING;
        }
        String service = box.serviceName;
        long desired = box.desiredGeneration;
        if (box.inSync()) {
            BoxState.Task task = box.task;
            if (task != null && task.open()) {
                store.finishTask(tx, box.id, service, desired, TaskState.DONE, "applied", "reported applied at hello",
                        true);
                task.state = TaskState.DONE;
                task.outcome = "applied";
            }
            if (box.olderOpenTasks > 0) {
                store.supersedeOlder(tx, box.id, service, desired);
                box.olderOpenTasks = 0;
            }
            // a box that applied just before we lost it waits for confirm: give it again at hello
            return trigger == Trigger.HELLO ? Reply.of(new Confirm(desired)) : Reply.NOTHING;
        }
        if (box.task == null) {
            store.createTask(tx, box.id, service, desired);
            box.task = new BoxState.Task(TaskState.QUEUED, null, 0, 0, null);
        }
        BoxState.Task task = box.task;
        if (task.state == TaskState.DONE && "applied".equals(task.outcome) && trigger == Trigger.HELLO) {
            // the box acknowledged this generation, yet its hello says it runs another: it rolled back without our
            // hearing of it (its report written, then lost with the link) or was reset. The box is the authority:
            // counted as a rollback, and pushed again while the rollbacks allow it
            String detail = "the box's hello reports " + (box.appliedService == null ? "no profile"
                    : "generation " + box.appliedGeneration + " of " + box.appliedService)
                    + " after it applied generation " + desired;
            if (task.rollbacks + 1 > maxRollbackRepush) {
                store.finishTask(tx, box.id, service, desired, TaskState.ERROR, "rolledBack", detail, false);
                task.state = TaskState.ERROR;
                task.outcome = "rolledBack";
                store.audit(tx, "device:" + box.id, "profile.rolledBackTooOften", service, box.id, desired, detail);
                return Reply.NOTHING;
            }
            store.reopenTask(tx, box.id, service, desired, task.state, task.outcome, detail);
            task.state = TaskState.QUEUED;
            task.rollbacks++;
            store.audit(tx, "device:" + box.id, "profile.lostByBox", service, box.id, desired, detail);
        }
        if (task.state == TaskState.ERROR || task.state == TaskState.DONE) {
            return Reply.NOTHING;
        }
        Instant now = tx.now();
        if (task.state == TaskState.DOING && trigger != Trigger.HELLO
                && task.sentAt != null && task.sentAt.isAfter(now.minus(ackTimeout))) {
            return Reply.NOTHING;
        }
        DesiredProfile profile = box.profile;
        if (profile == null) {
            throw new SQLException("no desired profile " + service + "#" + desired);
        }
        // conditional on the box's token and on the task still being open: a newer owner or a finished task fails
        // this attempt, and the next one decides on what the store then holds
        store.markSent(tx, box.id, service, desired, token);
        task.state = TaskState.DOING;
        task.attempts++;
        task.sentAt = now;
        metrics.push("profile");
        return Reply.of(ProfilePush.of(profile.toProfile(), confirmSeconds));
    }

    /**
     * Records the box's answer to a push, on the session of fencing {@code token}. A generation never pushed to
     * this box is refused; so is the whole answer when a newer session holds the box (nothing written, no confirm).
     */
    public Reply applied(String deviceId, long token, Applied applied) {
        return database.inTransaction(tx -> applied(tx, deviceId, token, applied));
    }

    /**
     * {@link #applied(String, long, Applied)} inside the caller's transaction; the {@code confirm} it returns may be
     * sent only after {@code tx} commits (a confirmed change must survive a crash). Decided on the box's state in
     * memory; its writes are conditional on the session's token.
     */
    public Reply applied(Tx tx, String deviceId, long token, Applied applied) throws SQLException {
        tx.afterCommit(() -> metrics.ack(applied.status().wire()));
        BoxState box = memory.get(tx, deviceId);
        if (box != null && box.ownerToken != token) {
            return fenced(box.id, box.ownerInstance, box.ownerToken,
                    applied.status().wire() + " #" + applied.generation(), token);
        }
        if (box == null || box.serviceName == null) {
            return Reply.of(ErrorMessage.of(ErrorCode.UNEXPECTED, "no service is bound to this box"));
        }
        String service = box.serviceName;
        long generation = applied.generation();
        BoxState.Task task;
        DesiredProfile profile;
        if (generation == box.desiredGeneration && box.task != null) {
            task = box.task;
            profile = box.profile;
        } else {
            // an answer about another generation than the desired one: rare, read from the store
            store.flush(tx);
            Optional<PushTask> found = tasks.find(tx, deviceId, service, TaskKind.PROFILE, generation);
            if (found.isEmpty()) {
                return Reply.of(ErrorMessage.of(ErrorCode.UNEXPECTED, "generation " + generation
                        + " of " + service + " was never pushed to this box"));
            }
            PushTask read = found.get();
            task = new BoxState.Task(read.state(), read.outcome(), read.attempts(), read.rollbacks(), read.sentAt());
            profile = null;
        }
        String actor = "device:" + deviceId;
        switch (applied.status()) {
            case APPLIED -> {
                if (profile == null) {
                    profile = engine.profile(tx, service, generation).orElseThrow();
                }
                store.recordApplied(tx, deviceId, service, generation, profile.offer(), token);
                box.appliedService = service;
                box.appliedGeneration = generation;
                if (task.open() || !"applied".equals(task.outcome)) {
                    boolean wasOpen = task.open();
                    store.finishTask(tx, deviceId, service, generation, TaskState.DONE, "applied", applied.detail(),
                            false);
                    store.audit(tx, actor, "profile.applied", service, deviceId, generation,
                            "offer=" + profile.offer() + " serviceIp=" + profile.serviceIp());
                    if (wasOpen && task.sentAt != null) {
                        double seconds = Math.max(0, Duration.between(task.sentAt, tx.now()).toNanos() / 1e9);
                        tx.afterCommit(() -> metrics.pushApplied(seconds));
                    }
                    task.state = TaskState.DONE;
                    task.outcome = "applied";
                }
                return new Reply(List.of(new Confirm(generation)), generation != box.desiredGeneration, false);
            }
            case REJECTED -> {
                if (task.open()) {
                    store.finishTask(tx, deviceId, service, generation, TaskState.ERROR, "rejected", applied.detail(),
                            true);
                    task.state = TaskState.ERROR;
                    task.outcome = "rejected";
                    store.audit(tx, actor, "profile.rejected", service, deviceId, generation, applied.detail());
                }
                return Reply.NOTHING;
            }
            case ROLLED_BACK -> {
                if (task.state == TaskState.ERROR) {
                    return Reply.NOTHING;
                }
                // the box runs its previous profile again
                store.recordApplied(tx, deviceId, null, 0, null, token);
                box.appliedService = null;
                box.appliedGeneration = 0;
                if (generation != box.desiredGeneration || !task.open() && !"applied".equals(task.outcome)) {
                    // a generation superseded since it was pushed: its task stays closed (reopening it would leave
                    // an open task that nothing sends); the desired generation's own task carries the push
                    store.audit(tx, actor, "profile.rolledBack", service, deviceId, generation,
                            applied.detail() + " (generation " + box.desiredGeneration + " is desired)");
                    return new Reply(List.of(), true, false);
                }
                if (task.rollbacks + 1 > maxRollbackRepush) {
                    store.finishTask(tx, deviceId, service, generation, TaskState.ERROR, "rolledBack",
                            "rolled back " + (task.rollbacks + 1) + " times: " + applied.detail(), false);
                    task.state = TaskState.ERROR;
                    task.outcome = "rolledBack";
                    store.audit(tx, actor, "profile.rolledBackTooOften", service, deviceId, generation,
                            applied.detail());
                    return Reply.NOTHING;
                }
                // conditional on the task as memory holds it: finished meanwhile by another transaction (superseded,
                // closed by a shipment), this attempt fails and the next one reads what the store holds
                store.reopenTask(tx, deviceId, service, generation, task.state, task.outcome, applied.detail());
                task.state = TaskState.QUEUED;
                task.rollbacks++;
                store.audit(tx, actor, "profile.rolledBack", service, deviceId, generation, applied.detail());
                return new Reply(List.of(), true, false);
            }
            default -> throw new IllegalStateException("unknown status " + applied.status());
        }
    }

    /** A write refused by the fence, from the box's row as read in this transaction: one line, nothing written. */
    private Reply fenced(Device current, String write, long token) {
        return fenced(current.id(), current.ownerInstance(), current.ownerToken(), write, token);
    }

    private static Reply fenced(String deviceId, String ownerInstance, long ownerToken, String write, long token) {
        String detail = "a newer session of this box (token " + ownerToken + " on instance " + ownerInstance
                + ") took over";
        LOG.warn("event=session.fenced device={} write={} token={} owner={} owner_token={}", deviceId,
                LogFields.value(write), token, LogFields.value(ownerInstance), ownerToken);
        return Reply.superseded(detail);
    }

    private Reply fenced(Optional<Device> current, String write, long token) {
        if (current.isEmpty()) {
            return new Reply(List.of(ErrorMessage.of(ErrorCode.FORBIDDEN, "the box is no longer registered")), false, true);
        }
        return fenced(current.get(), write, token);
    }

    /**
     * The session of {@code token} ended here: the box's row says it is held nowhere (so that every instance's view
     * of which boxes are connected is the database's), unless a newer session has it.
     */
    public boolean sessionClosed(Tx tx, String deviceId, long token) throws SQLException {
        store.flush(tx);
        boolean released = devices.release(tx, deviceId, instanceId, token);
        BoxState box = memory.held(tx, deviceId);
        if (box != null) {
            if (released && box.ownerToken == token) {
                // the next hello takes the box over again, with the next token
                box.ownerInstance = null;
            } else {
                memory.forget(tx, deviceId);
            }
        }
        return released;
    }

    /**
     * Another writer changed the box (the desired-state engine, an operator, another instance): its state is read
     * from the store when next needed. Call on the box's stripe, in order with its messages.
     */
    public void forget(String deviceId) {
        memory.forget(deviceId);
    }

    /** Every box's state may be stale (this instance lost its lease): all are read again. */
    public void forgetAll() {
        memory.clear();
    }

    /** How many of {@code deviceIds} memory holds of each model (the console's boxes online by model). */
    public java.util.Map<String, Long> modelsOf(java.util.Collection<String> deviceIds) {
        java.util.Map<String, Long> models = new java.util.HashMap<>();
        for (String id : deviceIds) {
            String model = memory.modelOf(id);
            if (model != null) {
                models.merge(model, 1L, Long::sum);
            }
        }
        return models;
    }

    /** How many boxes' states memory holds (a gauge). */
    public int boxesHeld() {
        return memory.size();
    }

    /**
     * Writes when the boxes whose hellos wrote nothing were last seen, as one batch: a hello that changes nothing
     * costs no statement of its own. Best effort; a box not written now is written with its next flush.
     */
    public int flushSeen() {
        if (seen.isEmpty()) {
            return 0;
        }
        List<String> ids = new ArrayList<>(seen);
        ids.forEach(seen::remove);
        return database.inTransaction(tx -> {
            Instant now = tx.now();
            List<Object[]> rows = new ArrayList<>(ids.size());
            for (String id : ids) {
                rows.add(new Object[] {now, id});
            }
            return tx.batch("UPDATE devices SET last_seen_at = ? WHERE id = ?", rows);
        });
    }

    /**
     * Signs a renewal request; refusals come back as {@code error}. Fenced like every write for a box: a session
     * whose token is stale (a newer session holds the box, on any instance) gets no certificate and ends with
     * {@code superseded}; its audit line is never written.
     */
    public Reply renew(String deviceId, long token, String csrPem) {
        if (authority == null) {
            return Reply.of(ErrorMessage.of(ErrorCode.UNSUPPORTED, "this server does not sign renewals"));
        }
        X509Certificate certificate;
        try {
            certificate = authority.signDeviceCsr(Pem.readCsr(csrPem), deviceId, database.clock().instant(),
                    DevPki.DEVICE_VALIDITY);
        } catch (PkiException e) {
            LOG.info("event=renewal.refused device={} reason={}", deviceId, LogFields.value(e.getMessage()));
            return Reply.of(ErrorMessage.of(ErrorCode.INVALID_MESSAGE, "renewal refused: " + e.getMessage()));
        }
        return database.inTransaction(tx -> {
            Optional<Device> device = devices.lock(tx, deviceId);
            if (device.isPresent() && device.get().ownerToken() != token) {
                return fenced(device.get(), "renewal", token);
            }
            audit.append(tx, "device:" + deviceId, "certificate.renewed", null, deviceId, null,
                    "serial " + net.otb.protocol.pki.Certificates.serialHex(certificate));
            return Reply.of(new CertificateChain(Pem.write(certificate, authority.certificate())));
        });
    }

    /** The store these rules read and write, for callers that commit several boxes' work together. */
    public Database database() {
        return database;
    }

    /**
     * Boxes held in memory with a push due (never sent, or unanswered for the ack timeout): what the sweep sends
     * again, found without a statement. Hints: each is decided again on its stripe.
     */
    public List<String> devicesDue() {
        Instant before = database.clock().instant().minus(ackTimeout);
        List<String> due = new ArrayList<>();
        memory.forEach(box -> {
            BoxState.Task task = box.task;
            if (task != null && (task.state == TaskState.QUEUED
                    || task.state == TaskState.DOING && task.sentAt != null && task.sentAt.isBefore(before))) {
                due.add(box.id);
            }
        });
        return due;
    }

    /**
     * Boxes with pushes due as the store holds them, every box of the fleet: the sweep's slower safety net for a
     * change this instance was never told of (a notification lost between instances).
     */
    public List<String> devicesDueInStore() {
        return database.inTransaction(tx -> new ArrayList<>(tasks.devicesDue(tx, tx.now().minus(ackTimeout), 100_000)));
    }
}
