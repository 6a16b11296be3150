package net.otb.server.desired;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import net.otb.protocol.IpAddresses;
import net.otb.server.catalog.Catalog;
import net.otb.server.device.Device;
import net.otb.server.device.DeviceState;
import net.otb.server.device.Devices;
import net.otb.server.device.Service;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.store.Tx;

/**
 * Owns every change of what a box should run. Each change locks the service row, bumps the generation
 * (when the profile changes), writes the per-box push task and the audit event in the caller's
 * transaction, and after the commit tells the gateway. The gateway derives what to send from the store,
 * so a crash between the commit and the push only delays the push until the box's next hello or the
 * periodic sweep. Thread-safe (stateless apart from its collaborators).
 */
public final class DesiredStateEngine {

    /** What an admin or the order system gives to create a service. */
    public record NewService(String name, String account, String offer, ServiceStatus status, String serviceIp,
                             String deviceId) {
    }

    private static final String INSERT_PROFILE = "INSERT INTO desired_profiles (service_name, generation, offer, "
            + "down_kbps, up_kbps, service_ip, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String UPDATE_OFFER =
            "UPDATE services SET offer = ?, desired_generation = ?, updated_at = ? WHERE name = ?";

    private final Supplier<Catalog> catalog;
    private final Services services;
    private final Devices devices;
    private final PushTasks tasks;
    private final AuditLog audit;
    private volatile DeviceNotifier notifier = DeviceNotifier.NONE;
    private volatile ChangeAnnouncer announcer = ChangeAnnouncer.NONE;

    public DesiredStateEngine(Supplier<Catalog> catalog, Services services, Devices devices, PushTasks tasks,
                              AuditLog audit) {
        this.catalog = catalog;
        this.services = services;
        this.devices = devices;
        this.tasks = tasks;
        this.audit = audit;
    }

    /** Connects the engine to the gateway; until then changes only wait in the store. */
    public void notifier(DeviceNotifier notifier) {
        this.notifier = notifier;
    }

    /** Announces every change to the other instances, in its transaction (several instances on PostgreSQL). */
    public void announcer(ChangeAnnouncer value) {
        this.announcer = value;
    }

    /**
     * Creates a service with its first desired profile (generation 1) and, when a box is given, binds it.
     *
     * @throws DesiredStateException ALREADY_EXISTS, IP_TAKEN, UNKNOWN_OFFER, UNKNOWN_DEVICE, DEVICE_UNAVAILABLE, INVALID
     */
    public Service createService(Tx tx, NewService spec, String actor) throws SQLException {
        String ip;
        try {
            ip = IpAddresses.canonical(spec.serviceIp());
        } catch (IllegalArgumentException e) {
            throw new DesiredStateException(DesiredStateException.Reason.INVALID, e.getMessage());
        }
        Catalog.Offer offer = offer(spec.offer());
        if (services.find(tx, spec.name()).isPresent()) {
            throw new DesiredStateException(DesiredStateException.Reason.ALREADY_EXISTS,
                    "the service " + spec.name() + " exists already");
        }
        Optional<Service> ipOwner = services.findByIp(tx, ip);
        if (ipOwner.isPresent()) {
            throw new DesiredStateException(DesiredStateException.Reason.IP_TAKEN,
                    "the service IP " + ip + " belongs to " + ipOwner.get().name());
        }
        if (spec.deviceId() != null) {
            bindable(tx, spec.deviceId(), spec.name());
        }
        Instant now = tx.now();
        tx.update("INSERT INTO services (name, account, offer, status, service_ip, device_id, desired_generation, "
                + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                spec.name(), spec.account(), offer.name(), spec.status(), ip, spec.deviceId(), now, now);
        insertProfile(tx, spec.name(), 1, offer, ip, actor);
        audit.append(tx, actor, "service.created", spec.name(), spec.deviceId(), 1L,
                "offer=" + offer.name() + " serviceIp=" + ip + " status=" + spec.status().wire());
        if (spec.deviceId() != null) {
            tasks.ensure(tx, spec.deviceId(), spec.name(), TaskKind.PROFILE, 1);
            notifyAfterCommit(tx, spec.deviceId());
        }
        return services.find(tx, spec.name()).orElseThrow();
    }

    /** {@link #setDesiredOffer(Tx, String, String, String)} by the {@code system} actor. */
    public DesiredProfile setDesiredOffer(Tx tx, String serviceName, String offerName) throws SQLException {
        return setDesiredOffer(tx, serviceName, offerName, "system");
    }

    /**
     * Makes {@code offerName} the service's desired offer: a new generation with the offer's bandwidth and
     * the service's unchanged IP, a push task for the bound box (older open ones are superseded), an audit
     * event; after the commit, the bound box is pushed to if connected.
     *
     * @throws DesiredStateException UNKNOWN_SERVICE or UNKNOWN_OFFER
     */
    public DesiredProfile setDesiredOffer(Tx tx, String serviceName, String offerName, String actor)
            throws SQLException {
        Service service = lockService(tx, serviceName);
        Catalog.Offer offer = offer(offerName);
        long generation = service.desiredGeneration() + 1;
        DesiredProfile profile = insertProfile(tx, serviceName, generation, offer, service.serviceIp(), actor);
        tx.update(UPDATE_OFFER, offer.name(), generation, tx.now(), serviceName);
        audit.append(tx, actor, "desired.changed", serviceName, service.deviceId(), generation,
                changeDetails(service.offer(), offer));
        if (service.deviceId() != null) {
            tasks.supersede(tx, service.deviceId(), serviceName, TaskKind.PROFILE, generation,
                    "superseded by generation " + generation);
            tasks.ensure(tx, service.deviceId(), serviceName, TaskKind.PROFILE, generation);
            notifyAfterCommit(tx, service.deviceId());
        }
        return profile;
    }

    /**
     * What {@link #setDesiredOffers} did.
     *
     * @param profiles the new desired profile of each service, in the order the services were given
     * @param devices the bound boxes, in the same order, told after the commit
     */
    public record OfferChanges(String offer, List<DesiredProfile> profiles, List<String> devices) {
        public OfferChanges {
            profiles = List.copyOf(profiles);
            devices = List.copyOf(devices);
        }
    }

    /**
     * {@link #setDesiredOffer(Tx, String, String, String)} for many services at once, leaving the same rows as
     * that method called once per service in the given order (ids and times aside: the rows are numbered in
     * the given order, all with one timestamp), in six statements whatever the number of services: one
     * locking read ({@code name = ANY(?)}), then the per-service path's own five writes, each as one JDBC batch
     * (the new profiles, the services' offer and generation, the audit events, the superseded tasks, the new
     * tasks). Batches rather than set-based {@code UPDATE … WHERE name = ANY(?)}: H2 checks such a condition
     * against the whole array for every row it touches, so a batch of 1,000 costs 2-3 times more that way;
     * on PostgreSQL the set-based form would be about twice as fast as the batches.
     *
     * <p>Each service gets generation + 1 with the offer's bandwidth and its own IP, read from its locked
     * row; its bound box a {@code todo} push task (its older open ones superseded); a {@code desired.changed}
     * event by {@code actor}. The boxes are told after the commit, and only then (never for a rolled-back
     * transaction). As in the per-service path: a service already on the offer still gets a new generation
     * (a re-push); the status is not checked, so a suspended or terminated service changes too (the order
     * system's offer change checks {@code active} before it reaches the engine); a service with no box gets its
     * profile and event only. Rows are locked in name order, so two bulk changes never deadlock. The
     * transaction holds every row it changes until it ends: give a few thousand services at most per call.
     *
     * @param serviceNames the services, each at most once; none means nothing to do
     * @return the new profiles in the given order, and the boxes told after the commit
     * @throws DesiredStateException UNKNOWN_OFFER; UNKNOWN_SERVICE naming every service that does not exist
     *         (checked before anything is written; let it roll the transaction back, as the per-service path's
     *         refusal would); INVALID when a service is listed twice
     */
    public OfferChanges setDesiredOffers(Tx tx, List<String> serviceNames, String offerName, String actor)
            throws SQLException {
        Catalog.Offer offer = offer(offerName);
        Set<String> distinct = new HashSet<>(serviceNames);
        if (distinct.size() != serviceNames.size()) {
            throw new DesiredStateException(DesiredStateException.Reason.INVALID,
                    "services listed more than once: " + sample(duplicates(serviceNames)));
        }
        if (serviceNames.isEmpty()) {
            return new OfferChanges(offer.name(), List.of(), List.of());
        }
        Map<String, Service> locked = new HashMap<>();
        for (Service service : services.lockAll(tx, serviceNames)) {
            locked.put(service.name(), service);
        }
        if (locked.size() != serviceNames.size()) {
            List<String> unknown = serviceNames.stream().filter(name -> !locked.containsKey(name)).toList();
            throw new DesiredStateException(DesiredStateException.Reason.UNKNOWN_SERVICE,
                    "no service " + sample(unknown));
        }
        Instant now = tx.now();
        List<DesiredProfile> profiles = new ArrayList<>(serviceNames.size());
        List<Object[]> profileRows = new ArrayList<>(serviceNames.size());
        List<Object[]> serviceRows = new ArrayList<>(serviceNames.size());
        List<AuditLog.Entry> events = new ArrayList<>(serviceNames.size());
        List<PushTasks.TaskKey> newTasks = new ArrayList<>();
        for (String name : serviceNames) {
            Service service = locked.get(name);
            long generation = service.desiredGeneration() + 1;
            // the IP comes from the locked service row, as in the per-service path: nothing else can reach it
            profiles.add(new DesiredProfile(name, generation, offer.name(), offer.downKbps(), offer.upKbps(),
                    service.serviceIp(), actor, now));
            profileRows.add(new Object[] {name, generation, offer.name(), offer.downKbps(), offer.upKbps(),
                    service.serviceIp(), actor, now});
            serviceRows.add(new Object[] {offer.name(), generation, now, name});
            events.add(new AuditLog.Entry(actor, "desired.changed", name, service.deviceId(), generation,
                    changeDetails(service.offer(), offer)));
            if (service.deviceId() != null) {
                newTasks.add(new PushTasks.TaskKey(service.deviceId(), name, TaskKind.PROFILE, generation));
            }
        }
        tx.batch(INSERT_PROFILE, profileRows);
        tx.batch(UPDATE_OFFER, serviceRows);
        audit.appendAll(tx, events);
        tasks.supersedeAll(tx, newTasks);
        tasks.ensureAll(tx, newTasks);
        List<String> devicesToTell = newTasks.stream().map(PushTasks.TaskKey::deviceId).toList();
        if (!devicesToTell.isEmpty()) {
            announcer.changed(tx, devicesToTell);
            tx.afterCommit(() -> devicesToTell.forEach(notifier::deviceChanged));
        }
        return new OfferChanges(offer.name(), profiles, devicesToTell);
    }

    /**
     * A desired change to take back: {@code serviceName} is still at {@code generation}, and {@code offer} is the offer
     * it had before that generation.
     */
    public record Withdrawal(String serviceName, long generation, String offer) {
    }

    /**
     * Takes back desired changes that their boxes have not applied (a rollout that aborts or is cancelled): each
     * service still at the withdrawal's generation, read from its locked row, gets a new generation on the offer it
     * had before, through {@link #setDesiredOffers} (its open push task superseded, its box told after the commit), so
     * a box that was offline gets the offer it has when it reconnects. A service whose generation moved on since (another
     * change) is left alone: that later change is not the caller's to take back. Generations stay monotonic: the box
     * never sees an older generation, it sees a newer one with the old rates.
     *
     * @return the services taken back, in name order
     * @throws DesiredStateException UNKNOWN_OFFER when an offer to put back left the catalog
     */
    public List<String> withdraw(Tx tx, List<Withdrawal> withdrawals, String actor) throws SQLException {
        if (withdrawals.isEmpty()) {
            return List.of();
        }
        Map<String, Withdrawal> byName = new HashMap<>();
        for (Withdrawal w : withdrawals) {
            byName.put(w.serviceName(), w);
        }
        Map<String, List<String>> byOffer = new java.util.TreeMap<>();
        List<String> taken = new ArrayList<>();
        for (Service service : services.lockAll(tx, byName.keySet())) {
            Withdrawal w = byName.get(service.name());
            if (service.desiredGeneration() == w.generation() && w.offer() != null) {
                byOffer.computeIfAbsent(w.offer(), o -> new ArrayList<>()).add(service.name());
                taken.add(service.name());
            }
        }
        for (Map.Entry<String, List<String>> group : byOffer.entrySet()) {
            setDesiredOffers(tx, group.getValue(), group.getKey(), actor);
        }
        return taken;
    }

    /**
     * Closes as superseded every profile task in {@code error} whose box has since applied a later generation of the
     * same service: the error no longer describes the box (a revert or a later change put it right), and it would
     * stay among the push errors an operator is asked to look at. One set-based statement over the tasks in error
     * (indexed by state); the box's applied generation is what its acks recorded.
     *
     * @return how many tasks were closed
     */
    public int closeErrorsSupersededByApplied(Tx tx) throws SQLException {
        Instant now = tx.now();
        return tx.update("UPDATE push_tasks SET state = ?, outcome = 'superseded', detail = ?, updated_at = ?, done_at = ? "
                + "WHERE state = ? AND kind = ? AND EXISTS (SELECT 1 FROM devices d WHERE d.id = push_tasks.device_id "
                + "AND d.applied_service = push_tasks.service_name AND d.applied_generation > push_tasks.generation)",
                TaskState.DONE, "superseded by a later generation that the box applied", now, now, TaskState.ERROR,
                TaskKind.PROFILE);
    }

    /** {@link #bindService(Tx, String, String, String)} by the {@code system} actor. */
    public void bindService(Tx tx, String serviceName, String newDeviceId) throws SQLException {
        bindService(tx, serviceName, newDeviceId, "system");
    }

    /**
     * Binds the service to another box, keeping its IP and generation: the new box gets the current
     * desired profile, the previous box (if any) gets {@code decommission}, both after the commit and again
     * at their next hello until delivered. Binding to the box already bound does nothing.
     *
     * @throws DesiredStateException UNKNOWN_SERVICE, UNKNOWN_DEVICE, or DEVICE_UNAVAILABLE (revoked,
     *         decommissioned, or bound to another service)
     */
    public void bindService(Tx tx, String serviceName, String newDeviceId, String actor) throws SQLException {
        Service service = lockService(tx, serviceName);
        if (newDeviceId.equals(service.deviceId())) {
            return;
        }
        bindable(tx, newDeviceId, serviceName);
        String previous = service.deviceId();
        tx.update("UPDATE services SET device_id = ?, updated_at = ? WHERE name = ?", newDeviceId, tx.now(), serviceName);
        long generation = service.desiredGeneration();
        tasks.ensure(tx, newDeviceId, serviceName, TaskKind.PROFILE, generation);
        audit.append(tx, actor, "service.bound", serviceName, newDeviceId, generation,
                "device " + (previous == null ? "(none)" : previous) + " -> " + newDeviceId);
        notifyAfterCommit(tx, newDeviceId);
        if (previous != null) {
            tasks.supersede(tx, previous, serviceName, TaskKind.PROFILE, Long.MAX_VALUE,
                    "the service moved to " + newDeviceId);
            devices.setState(tx, previous, DeviceState.DECOMMISSIONING, "replaced by " + newDeviceId);
            tasks.ensure(tx, previous, serviceName, TaskKind.DECOMMISSION, generation);
            audit.append(tx, actor, "device.decommissioning", serviceName, previous, generation,
                    "replaced by " + newDeviceId);
            notifyAfterCommit(tx, previous);
        }
    }

    /**
     * Revokes a box: refused from now on; its live session is closed after the commit.
     *
     * @return the serial of the certificate it last connected with, or null, for the TLS revocation list
     * @throws DesiredStateException UNKNOWN_DEVICE
     */
    public String revokeDevice(Tx tx, String deviceId, String reason, String actor) throws SQLException {
        Device device = devices.lock(tx, deviceId).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_DEVICE, "no box " + deviceId));
        if (device.state() != DeviceState.REVOKED) {
            devices.setState(tx, deviceId, DeviceState.REVOKED, reason);
            Optional<Service> bound = services.findByDevice(tx, deviceId);
            audit.append(tx, actor, "device.revoked", bound.map(Service::name).orElse(null), deviceId, null, reason);
        }
        announcer.revoked(tx, deviceId);
        tx.afterCommit(() -> notifier.deviceRevoked(deviceId));
        return device.certSerial();
    }

    /** The service's current desired profile. */
    public Optional<DesiredProfile> desiredProfile(Tx tx, String serviceName) throws SQLException {
        return tx.queryOne("SELECT p.service_name, p.generation, p.offer, p.down_kbps, p.up_kbps, p.service_ip, "
                + "p.actor, p.created_at FROM desired_profiles p JOIN services s ON s.name = p.service_name "
                + "AND s.desired_generation = p.generation WHERE p.service_name = ?", row -> new DesiredProfile(
                row.getString(1), row.getLong(2), row.getString(3), row.getLong(4), row.getLong(5), row.getString(6),
                row.getString(7), Tx.instant(row, "created_at")), serviceName);
    }

    /** A generation of the service's desired profile. */
    public Optional<DesiredProfile> profile(Tx tx, String serviceName, long generation) throws SQLException {
        return tx.queryOne("SELECT service_name, generation, offer, down_kbps, up_kbps, service_ip, actor, created_at "
                + "FROM desired_profiles WHERE service_name = ? AND generation = ?", row -> new DesiredProfile(
                row.getString(1), row.getLong(2), row.getString(3), row.getLong(4), row.getLong(5), row.getString(6),
                row.getString(7), Tx.instant(row, "created_at")), serviceName, generation);
    }

    /** The service's push tasks, newest first. */
    public List<PushTask> tasks(Tx tx, String serviceName) throws SQLException {
        return tasks.byService(tx, serviceName, 200);
    }

    private void bindable(Tx tx, String deviceId, String serviceName) throws SQLException {
        Device device = devices.lock(tx, deviceId).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_DEVICE, "no box " + deviceId + " is registered"));
        if (device.state() == DeviceState.REVOKED || device.state() == DeviceState.DECOMMISSIONED
                || device.state() == DeviceState.DECOMMISSIONING) {
            throw new DesiredStateException(DesiredStateException.Reason.DEVICE_UNAVAILABLE,
                    "the box " + deviceId + " is " + device.state().wire());
        }
        Optional<Service> other = services.findByDevice(tx, deviceId);
        if (other.isPresent() && !other.get().name().equals(serviceName)) {
            throw new DesiredStateException(DesiredStateException.Reason.DEVICE_UNAVAILABLE,
                    "the box " + deviceId + " is bound to the service " + other.get().name());
        }
    }

    private Service lockService(Tx tx, String serviceName) throws SQLException {
        return services.lock(tx, serviceName).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_SERVICE, "no service " + serviceName));
    }

    private Catalog.Offer offer(String name) {
        return catalog.get().offer(name).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_OFFER, "no offer " + name + " in the catalog"));
    }

    private DesiredProfile insertProfile(Tx tx, String serviceName, long generation, Catalog.Offer offer, String ip,
                                         String actor) throws SQLException {
        Instant now = tx.now();
        tx.update(INSERT_PROFILE, serviceName, generation, offer.name(), offer.downKbps(), offer.upKbps(), ip, actor, now);
        return new DesiredProfile(serviceName, generation, offer.name(), offer.downKbps(), offer.upKbps(), ip, actor, now);
    }

    private static String changeDetails(String previousOffer, Catalog.Offer offer) {
        return "offer " + previousOffer + " -> " + offer.name() + " (" + offer.downKbps() + "/" + offer.upKbps() + " kbps)";
    }

    private static List<String> duplicates(List<String> names) {
        Set<String> seen = new HashSet<>();
        return names.stream().filter(name -> !seen.add(name)).distinct().toList();
    }

    /** Up to ten names, and how many more: an error detail stays one readable line. */
    private static String sample(List<String> names) {
        String shown = String.join(", ", names.subList(0, Math.min(10, names.size())));
        return names.size() > 10 ? shown + " (and " + (names.size() - 10) + " more)" : shown;
    }

    /**
     * Something about the box that its session acts on changed in {@code tx} outside this engine (a box shipped for a
     * migration, whose next hello is its reception): the gateway holding it reads its state again once {@code tx}
     * commits, on every instance.
     */
    public void boxChanged(Tx tx, String deviceId) throws SQLException {
        notifyAfterCommit(tx, deviceId);
    }

    private void notifyAfterCommit(Tx tx, String deviceId) throws SQLException {
        announcer.changed(tx, List.of(deviceId));
        tx.afterCommit(() -> notifier.deviceChanged(deviceId));
    }
}
