package net.otb.server.desired;

import java.security.cert.X509Certificate;
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
 * returns. Every decision reads the store and commits before the gateway writes, so the store is always
 * ahead of the wire. Thread-safe; the gateway calls it for one box from one thread at a time.
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
    private volatile String instanceId = "local";
    private volatile ChangeAnnouncer announcer = ChangeAnnouncer.NONE;

    /**
     * @param authority signs renewals; null when this server does not sign them
     */
    public AgentService(Database database, Services services, Devices devices, PushTasks tasks, AuditLog audit,
                        DesiredStateEngine engine, Supplier<List<HelloListener>> helloListeners, Metrics metrics,
                        CertificateAuthority authority, int confirmSeconds, Duration ackTimeout, int maxRollbackRepush) {
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
     * {@link #hello(String, String, Hello)} inside the caller's transaction (the gateway commits many boxes'
     * hellos together); nothing may be answered before {@code tx} commits.
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
        Optional<Device> found = devices.lock(tx, hello.deviceId());
        if (found.isEmpty()) {
            return new Refused(ErrorCode.FORBIDDEN, "the box " + hello.deviceId() + " is not registered");
        }
        Device device = found.get();
        if (device.state() == DeviceState.REVOKED) {
            return new Refused(ErrorCode.FORBIDDEN, "the box " + hello.deviceId() + " is revoked");
        }
        boolean first = device.firstSeenAt() == null;
        // the takeover: this session's token is one above any session the box had, here or elsewhere
        long token = device.ownerToken() + 1;
        devices.recordHello(tx, device.id(), hello.model(), hello.firmware(), hello.agentVersion(),
                certificateSerial, instanceId, token);
        if (device.ownerInstance() != null && !device.ownerInstance().equals(instanceId)) {
            announcer.sessionTaken(tx, device.id(), device.ownerInstance(), token);
        }
        if (!device.model().equals(hello.model())) {
            audit.append(tx, "device:" + device.id(), "device.modelReported", null, device.id(), null,
                    "registered as " + device.model() + ", reports " + hello.model());
        }
        // the box is the authority on what it runs now (a reset, a rollback while we were away)
        BandwidthProfile applied = hello.applied();
        String appliedService = applied == null ? null : applied.serviceName();
        long appliedGeneration = applied == null ? 0 : applied.generation();
        if (!java.util.Objects.equals(appliedService, device.appliedService())
                || appliedGeneration != device.appliedGeneration()) {
            devices.recordApplied(tx, device.id(), appliedService, appliedGeneration,
                    applied == null ? null : applied.offer());
        }
        if (device.state() == DeviceState.DECOMMISSIONED) {
            // accepted only to be told decommission again (reconcile): the one written before may have died with
            // the box before it saved it, so it is sent at every hello until the box has done it and stops coming
            return new Accepted(device.id(), protocol.getAsInt(), false, token);
        }
        if (first) {
            audit.append(tx, "device:" + device.id(), "device.firstConnection", null, device.id(), null,
                    "model=" + hello.model() + " firmware=" + hello.firmware());
        }
        HelloListener.AcceptedHello accepted = new HelloListener.AcceptedHello(device.id(), hello.model(), first,
                device);
        for (HelloListener listener : helloListeners.get()) {
            listener.onHelloAccepted(tx, accepted);
        }
        return new Accepted(device.id(), protocol.getAsInt(), first, token);
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
        Optional<Device> found = devices.find(tx, deviceId);
        if (found.isEmpty()) {
            return new Reply(List.of(ErrorMessage.of(ErrorCode.FORBIDDEN, "the box is no longer registered")), false, true);
        }
        Device device = found.get();
        if (device.ownerToken() != token) {
            return fenced(device, "reconcile", token);
        }
        switch (device.state()) {
            case REVOKED -> {
                return new Reply(List.of(ErrorMessage.of(ErrorCode.FORBIDDEN, "the box is revoked")), false, true);
            }
            case DECOMMISSIONED -> {
                // told again: a write is not a delivery (the box may have died before it saved the decommission)
                metrics.push("decommission");
                return Reply.of(new Decommission(reason(device)));
            }
            case DECOMMISSIONING -> {
                return decommission(tx, device, token);
            }
            default -> {
                return reconcileProfile(tx, device, token, trigger);
            }
        }
    }

    /**
     * Tells a replaced box to decommission, and records it told in this same transaction, which commits before the
     * message is written: the box {@code decommissioned}, its decommission tasks {@code done}. A write lost with the
     * link or with this server loses nothing, since a decommissioned box's hello is told again. Recording it only
     * once written left a window in which the box had been told (and stops for good) while the store still waited
     * for word of it: a store failure or a crash there left the task {@code doing} for ever (the campaign's seed
     * {@code -4360322129440561364}, PostgreSQL restarted just after the write).
     */
    private Reply decommission(Tx tx, Device read, long token) throws SQLException {
        // the fence: the box's row is locked, so no takeover commits between this check and our writes
        Optional<Device> locked = devices.lock(tx, read.id());
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
        return Reply.of(new Decommission(reason(device)));
    }

    private static String reason(Device device) {
        return device.stateDetail() == null ? "this box was replaced" : device.stateDetail();
    }

    private Reply reconcileProfile(Tx tx, Device device, long token, Trigger trigger) throws SQLException {
        Optional<Service> bound = services.findByDevice(tx, device.id());
        if (bound.isEmpty()) {
            return Reply.NOTHING;
        }
        Service service = bound.get();
        long desired = service.desiredGeneration();
        if (service.name().equals(device.appliedService()) && device.appliedGeneration() == desired) {
            Optional<PushTask> task = tasks.find(tx, device.id(), service.name(), TaskKind.PROFILE, desired);
            if (task.isPresent() && task.get().open()) {
                tasks.finish(tx, task.get().id(), TaskState.DONE, "applied", "reported applied at hello");
            }
            tasks.supersede(tx, device.id(), service.name(), TaskKind.PROFILE, desired, "superseded by generation " + desired);
            // a box that applied just before we lost it waits for confirm: give it again at hello
            return trigger == Trigger.HELLO ? Reply.of(new Confirm(desired)) : Reply.NOTHING;
        }
        PushTask task = tasks.ensure(tx, device.id(), service.name(), TaskKind.PROFILE, desired);
        if (task.state() == TaskState.DONE && trigger == Trigger.HELLO) {
            // the box acknowledged this generation, yet its hello says it runs another: it rolled back without our
            // hearing of it (its report written, then lost with the link) or was reset. The box is the authority:
            // counted as a rollback, and pushed again while the rollbacks allow it
            String detail = "the box's hello reports " + (device.appliedService() == null ? "no profile"
                    : "generation " + device.appliedGeneration() + " of " + device.appliedService())
                    + " after it applied generation " + desired;
            if (task.rollbacks() + 1 > maxRollbackRepush) {
                if (tasks.finishIf(tx, task.id(), task.state(), task.outcome(), TaskState.ERROR, "rolledBack",
                        detail)) {
                    audit.append(tx, "device:" + device.id(), "profile.rolledBackTooOften", service.name(),
                            device.id(), desired, detail);
                }
                return Reply.NOTHING;
            }
            if (tasks.rolledBack(tx, task.id(), task.state(), task.outcome(), detail)) {
                audit.append(tx, "device:" + device.id(), "profile.lostByBox", service.name(), device.id(), desired,
                        detail);
            }
            task = tasks.find(tx, device.id(), service.name(), TaskKind.PROFILE, desired).orElseThrow();
        }
        if (task.state() == TaskState.ERROR || task.state() == TaskState.DONE) {
            return Reply.NOTHING;
        }
        if (task.state() == TaskState.DOING && trigger != Trigger.HELLO
                && task.sentAt() != null && task.sentAt().isAfter(tx.now().minus(ackTimeout))) {
            return Reply.NOTHING;
        }
        DesiredProfile profile = engine.profile(tx, service.name(), desired).orElseThrow(
                () -> new SQLException("no desired profile " + service.name() + "#" + desired));
        if (!tasks.markSent(tx, task.id(), device.id(), token)) {
            return notSent(tx, device.id(), "task sent", token);
        }
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
     * sent only after {@code tx} commits (a confirmed change must survive a crash).
     */
    public Reply applied(Tx tx, String deviceId, long token, Applied applied) throws SQLException {
        tx.afterCommit(() -> metrics.ack(applied.status().wire()));
        // the fence: the box's row is locked, so no takeover commits between this check and our writes
        Optional<Device> device = devices.lock(tx, deviceId);
        if (device.isPresent() && device.get().ownerToken() != token) {
            return fenced(device.get(), applied.status().wire() + " #" + applied.generation(), token);
        }
        Optional<Service> bound = services.findByDevice(tx, deviceId);
        if (bound.isEmpty() || device.isEmpty()) {
            return Reply.of(ErrorMessage.of(ErrorCode.UNEXPECTED, "no service is bound to this box"));
        }
        Service service = bound.get();
        Optional<PushTask> found = tasks.find(tx, deviceId, service.name(), TaskKind.PROFILE, applied.generation());
        if (found.isEmpty()) {
            return Reply.of(ErrorMessage.of(ErrorCode.UNEXPECTED, "generation " + applied.generation()
                    + " of " + service.name() + " was never pushed to this box"));
        }
        PushTask task = found.get();
        String actor = "device:" + deviceId;
        switch (applied.status()) {
            case APPLIED -> {
                DesiredProfile profile = engine.profile(tx, service.name(), applied.generation()).orElseThrow();
                devices.recordApplied(tx, deviceId, service.name(), applied.generation(), profile.offer());
                if (task.open() || !"applied".equals(task.outcome())) {
                    boolean wasOpen = task.open();
                    tasks.finish(tx, task.id(), TaskState.DONE, "applied", applied.detail());
                    audit.append(tx, actor, "profile.applied", service.name(), deviceId, applied.generation(),
                            "offer=" + profile.offer() + " serviceIp=" + profile.serviceIp());
                    if (wasOpen && task.sentAt() != null) {
                        Instant now = tx.now();
                        double seconds = Math.max(0, Duration.between(task.sentAt(), now).toNanos() / 1e9);
                        tx.afterCommit(() -> metrics.pushApplied(seconds));
                    }
                }
                return new Reply(List.of(new Confirm(applied.generation())),
                        applied.generation() != service.desiredGeneration(), false);
            }
            case REJECTED -> {
                if (task.open() && tasks.finishIf(tx, task.id(), task.state(), task.outcome(), TaskState.ERROR,
                        "rejected", applied.detail())) {
                    audit.append(tx, actor, "profile.rejected", service.name(), deviceId, applied.generation(),
                            applied.detail());
                }
                return Reply.NOTHING;
            }
            case ROLLED_BACK -> {
                if (task.state() == TaskState.ERROR) {
                    return Reply.NOTHING;
                }
                // the box runs its previous profile again
                devices.recordApplied(tx, deviceId, null, 0, null);
                if (applied.generation() != service.desiredGeneration()
                        || !task.open() && !"applied".equals(task.outcome())) {
                    // a generation superseded since it was pushed: its task stays closed (reopening it would leave
                    // an open task that nothing sends); the desired generation's own task carries the push
                    audit.append(tx, actor, "profile.rolledBack", service.name(), deviceId, applied.generation(),
                            applied.detail() + " (generation " + service.desiredGeneration() + " is desired)");
                    return new Reply(List.of(), true, false);
                }
                if (task.rollbacks() + 1 > maxRollbackRepush) {
                    if (tasks.finishIf(tx, task.id(), task.state(), task.outcome(), TaskState.ERROR, "rolledBack",
                            "rolled back " + (task.rollbacks() + 1) + " times: " + applied.detail())) {
                        audit.append(tx, actor, "profile.rolledBackTooOften", service.name(), deviceId,
                                applied.generation(), applied.detail());
                    }
                    return Reply.NOTHING;
                }
                if (!tasks.rolledBack(tx, task.id(), task.state(), task.outcome(), applied.detail())) {
                    // finished by another transaction since we read it (superseded, closed by a shipment)
                    return new Reply(List.of(), true, false);
                }
                audit.append(tx, actor, "profile.rolledBack", service.name(), deviceId, applied.generation(),
                        applied.detail());
                return new Reply(List.of(), true, false);
            }
            default -> throw new IllegalStateException("unknown status " + applied.status());
        }
    }

    /** A write refused by the fence, from the box's row as read in this transaction: one line, nothing written. */
    private Reply fenced(Device current, String write, long token) {
        String detail = "a newer session of this box (token " + current.ownerToken() + " on instance "
                + current.ownerInstance() + ") took over";
        LOG.warn("fenced: {} {} refused: this session's token {} is stale, the box is owned by {} with token {}",
                current.id(), write, token, current.ownerInstance(), current.ownerToken());
        return Reply.superseded(detail);
    }

    /**
     * A task read open was not marked sent: either a newer session took the box ({@link #fenced}), or another
     * transaction finished the task after this one read it (a newer generation superseded it, a shipment moved the
     * service to another box). Then nothing is sent: the transaction that finished it made its own work for the
     * box (the newer generation's push, the decommission), which the gateway reconciles once it commits.
     */
    private Reply notSent(Tx tx, String deviceId, String write, long token) throws SQLException {
        Optional<Device> current = devices.find(tx, deviceId);
        if (current.isPresent() && current.get().ownerToken() == token) {
            LOG.debug("{}: {} skipped: the task was finished by another transaction meanwhile", deviceId, write);
            return Reply.NOTHING;
        }
        return fenced(current, write, token);
    }

    /** {@link #fenced(Device, String, long)} after a conditional write found a newer owner: reads who it is. */
    private Reply fenced(Tx tx, String deviceId, String write, long token) throws SQLException {
        return fenced(devices.find(tx, deviceId), write, token);
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
        return devices.release(tx, deviceId, instanceId, token);
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
            LOG.info("{}: renewal refused: {}", deviceId, e.getMessage());
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

    /** Boxes with pushes due (never sent, or unanswered for the ack timeout). */
    public List<String> devicesDue() {
        return database.inTransaction(tx -> new ArrayList<>(tasks.devicesDue(tx, tx.now().minus(ackTimeout), 100_000)));
    }
}
