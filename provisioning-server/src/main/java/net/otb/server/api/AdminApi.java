package net.otb.server.api;

import net.otb.protocol.logging.LogFields;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.otb.protocol.LogSafe;
import net.otb.protocol.pki.PkiException;
import net.otb.server.ServerContext;
import net.otb.server.catalog.Catalog;
import net.otb.server.desired.AuditEvent;
import net.otb.server.desired.DesiredProfile;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.desired.DesiredStateException;
import net.otb.server.desired.PushTask;
import net.otb.server.device.Device;
import net.otb.server.device.Service;
import net.otb.server.device.ServiceStatus;
import net.otb.server.cluster.Presence;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin routes (services, boxes, revocation, fleet, audit) and the read side of a service
 * ({@code GET /1.0/overTheBox/{serviceName}}, its tasks and audit). The audit's actor is the signed
 * credential ({@code ROLE:CONSUMER_ID}); an {@code X-Actor} header is kept beside it as an untrusted label.
 */
public final class AdminApi implements ApiModule {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

    /** Body of {@code POST /1.0/admin/devices}. */
    public record NewDevice(String serial, String model) {
        public NewDevice {
            if (serial == null || !serial.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw new IllegalArgumentException("serial must be 1-64 letters, digits, '.', '_' or '-', got " + serial);
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model is required");
            }
        }
    }

    /** Body of {@code POST /1.0/admin/services}. */
    public record NewService(String serviceName, String account, String offer, String serviceIp, String deviceId,
                             String status) {
        public NewService {
            if (serviceName == null || !serviceName.matches("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")) {
                throw new IllegalArgumentException("serviceName must be 1-128 letters, digits or ._@-, got " + serviceName);
            }
            if (account == null || account.isBlank() || account.length() > 128) {
                throw new IllegalArgumentException("account is required (1-128 characters)");
            }
            if (offer == null || offer.isBlank()) {
                throw new IllegalArgumentException("offer is required");
            }
            if (serviceIp == null || serviceIp.isBlank()) {
                throw new IllegalArgumentException("serviceIp is required");
            }
            status = status == null ? "active" : status;
            ServiceStatus.fromWire(status);
        }
    }

    /** Body of {@code POST /1.0/admin/services/{serviceName}/desiredOffer}. */
    public record OfferChange(String offer) {
        public OfferChange {
            if (offer == null || offer.isBlank()) {
                throw new IllegalArgumentException("offer is required");
            }
        }
    }

    /**
     * Body of {@code POST /1.0/admin/desiredOffers}: the services to move to {@code offer}, either by name or as
     * the first {@code limit} active services on {@code fromOffer} (in name order; repeat until none is left).
     */
    public record OfferChanges(String offer, List<String> serviceNames, String fromOffer, Integer limit) {

        /** The most services one request changes: one transaction, one answer. */
        public static final int MAX_SERVICES = 1_000;

        public OfferChanges {
            if (offer == null || offer.isBlank()) {
                throw new IllegalArgumentException("offer is required");
            }
            if ((serviceNames == null) == (fromOffer == null)) {
                throw new IllegalArgumentException("give exactly one of serviceNames and fromOffer");
            }
            if (serviceNames != null) {
                if (serviceNames.isEmpty() || serviceNames.size() > MAX_SERVICES) {
                    throw new IllegalArgumentException("serviceNames must list 1 to " + MAX_SERVICES + " services, got "
                            + serviceNames.size());
                }
                if (serviceNames.stream().anyMatch(name -> name == null || name.isBlank())) {
                    throw new IllegalArgumentException("serviceNames must not hold an empty name");
                }
                if (limit != null) {
                    throw new IllegalArgumentException("limit goes with fromOffer only");
                }
                serviceNames = List.copyOf(serviceNames);
            } else {
                if (fromOffer.isBlank() || fromOffer.equals(offer)) {
                    throw new IllegalArgumentException("fromOffer must name another offer than offer");
                }
                limit = limit == null ? MAX_SERVICES : limit;
                if (limit < 1 || limit > MAX_SERVICES) {
                    throw new IllegalArgumentException("limit must be between 1 and " + MAX_SERVICES + ", got " + limit);
                }
            }
        }
    }

    /** Answer of {@code POST /1.0/admin/desiredOffers}: the new profiles, in the order the services were taken. */
    public record OfferChangesDone(String offer, int changed, List<DesiredProfile> profiles) {
    }

    /** Body of {@code POST /1.0/admin/services/{serviceName}/device}. */
    public record Binding(String deviceId) {
        public Binding {
            if (deviceId == null || deviceId.isBlank()) {
                throw new IllegalArgumentException("deviceId is required");
            }
        }
    }

    /** Body of {@code POST /1.0/admin/devices/{serial}/revoke} (optional). */
    public record Revocation(String reason) {
    }

    /** A box as the API shows it. */
    public record DeviceView(String deviceId, String model, String state, boolean connected, String firmware,
                             String agentVersion, java.time.Instant registeredAt, java.time.Instant firstSeenAt,
                             java.time.Instant lastSeenAt, String appliedService, long appliedGeneration,
                             String appliedOffer, java.time.Instant appliedAt, String instance) {
        /** @param instance the instance holding the box's session; null when it is not connected */
        static DeviceView of(Device d, String instance) {
            return new DeviceView(d.id(), d.model(), d.state().wire(), instance != null, d.firmware(), d.agentVersion(),
                    d.registeredAt(), d.firstSeenAt(), d.lastSeenAt(), d.appliedService(), d.appliedGeneration(),
                    d.appliedOffer(), d.appliedAt(), instance);
        }
    }

    /** A service as {@code GET /1.0/overTheBox/{serviceName}} shows it. */
    public record ServiceView(String serviceName, String account, String offer, String offerDisplayName,
                              String status, String serviceIp, long downKbps, long upKbps, DeviceView device,
                              long desiredGeneration, long appliedGeneration, boolean inSync, boolean deviceLimited) {
    }

    private ServerContext context;
    private final Presence presence;

    /** @param presence where the boxes' sessions are (this instance's and the others'), to show which are connected */
    public AdminApi(Presence presence) {
        this.presence = presence;
    }

    @Override
    public void register(Router router, ServerContext context) {
        this.context = context;
        router.post("/1.0/admin/devices", this::registerDevice)
                .get("/1.0/admin/devices/{serial}", this::getDevice)
                .post("/1.0/admin/devices/{serial}/revoke", this::revoke)
                .post("/1.0/admin/services", this::createService)
                .post("/1.0/admin/services/{serviceName}/desiredOffer", this::changeOffer)
                .post("/1.0/admin/desiredOffers", this::changeOffers)
                .post("/1.0/admin/services/{serviceName}/device", this::bind)
                .get("/1.0/admin/fleet", this::fleet)
                .get("/1.0/admin/audit", this::auditLog)
                .get("/1.0/overTheBox/{serviceName}", this::getService)
                .get("/1.0/overTheBox/{serviceName}/tasks", this::tasks)
                .get("/1.0/overTheBox/{serviceName}/audit", this::serviceAudit);
    }

    /**
     * The audit's actor of this transaction: the signed credential ({@code ROLE:CONSUMER_ID}), never what the caller
     * says; {@code fallback} only for a dispatcher that checks no signature (tests of the routing alone).
     */
    public static String actor(Tx tx, String fallback) {
        Tx.Principal caller = tx.principal();
        return caller == null ? fallback : caller.actor();
    }

    static String actor(Tx tx) {
        return actor(tx, "admin");
    }

    /** The caller's own label for itself ({@code X-Actor}), untrusted, cut to 100 characters; null when absent. */
    static String label(ApiRequest request) {
        return request.header("x-actor").map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> s.length() > 100 ? s.substring(0, 100) : s).orElse(null);
    }

    private ApiResponse registerDevice(ApiRequest request, Tx tx) throws SQLException {
        NewDevice body = request.strictBody(NewDevice.class);
        if (context.catalog().model(body.model()).isEmpty()) {
            throw Problems.invalidField("model", "model must be one of "
                    + context.catalog().models().stream().map(Catalog.DeviceModel::name).toList() + ", got " + body.model());
        }
        if (!context.devices().register(tx, body.serial(), body.model())) {
            throw Problems.conflict("already-exists", "Already exists", "the box " + body.serial() + " is registered already");
        }
        context.audit().append(tx, actor(tx), "device.registered", null, body.serial(), null, "model=" + body.model());
        Device device = context.devices().find(tx, body.serial()).orElseThrow();
        return ApiResponse.created(DeviceView.of(device, null), "/1.0/admin/devices/" + body.serial());
    }

    private ApiResponse getDevice(ApiRequest request, Tx tx) throws SQLException {
        String serial = request.pathParam("serial");
        Device device = context.devices().find(tx, serial)
                .orElseThrow(() -> Problems.notFound("no box " + serial));
        return ApiResponse.ok(DeviceView.of(device, presence.read(tx).holder(serial, device.ownerInstance())));
    }

    private ApiResponse revoke(ApiRequest request, Tx tx) throws SQLException {
        String serial = request.pathParam("serial");
        String reason = request.hasBody() ? Optional.ofNullable(request.strictBody(Revocation.class).reason()).orElse("revoked by an operator")
                : "revoked by an operator";
        String certificateSerial = context.engine().revokeDevice(tx, serial, reason, actor(tx));
        if (certificateSerial != null) {
            tx.afterCommit(() -> {
                try {
                    context.revocations().revoke(certificateSerial, serial, context.clock().instant(), reason);
                } catch (PkiException e) {
                    // the store refuses the box at hello anyway; the list only adds the refusal at handshake
                    LOG.warn("event=device.revocation_list_failed device={} detail=\"revoked in the store, the revocation "
                            + "list not saved\" error={}", LogFields.value(serial), LogFields.value(e.getMessage()));
                }
            });
        }
        Device device = context.devices().find(tx, serial).orElseThrow();
        return ApiResponse.ok(DeviceView.of(device, presence.read(tx).holder(serial, device.ownerInstance())));
    }

    private ApiResponse createService(ApiRequest request, Tx tx) throws SQLException {
        NewService body = request.strictBody(NewService.class);
        Service service = context.engine().createService(tx, new DesiredStateEngine.NewService(body.serviceName(),
                body.account(), body.offer(), ServiceStatus.fromWire(body.status()), body.serviceIp(), body.deviceId()),
                actor(tx));
        return ApiResponse.created(view(tx, service), "/1.0/overTheBox/" + service.name());
    }

    private ApiResponse changeOffer(ApiRequest request, Tx tx) throws SQLException {
        OfferChange body = request.strictBody(OfferChange.class);
        DesiredProfile profile = context.engine().setDesiredOffer(tx, request.pathParam("serviceName"), body.offer(),
                actor(tx));
        refuseOpenOrders(tx, List.of(profile.serviceName()));
        return ApiResponse.ok(profile);
    }

    /**
     * The rule of an operator's direct offer change (docs/api.md "Admin and operations"): refused with 409
     * {@code open-migration}, naming the order, while a service has an open order (unpaid, or paid and waiting for its
     * box), since the payment would then switch from an offer the order was not priced on. Checked after the engine
     * has locked the services' rows, so no order can open in between; the refusal rolls the whole change back.
     */
    private static void refuseOpenOrders(Tx tx, List<String> serviceNames) throws SQLException {
        Map<String, Long> open = new LinkedHashMap<>();
        for (int from = 0; from < serviceNames.size(); from += 500) {
            List<String> chunk = serviceNames.subList(from, Math.min(serviceNames.size(), from + 500));
            String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
            tx.query("SELECT open_service, order_id FROM migrations WHERE open_service IN (" + marks + ")",
                    row -> open.put(row.getString(1), row.getLong(2)), chunk.toArray());
        }
        if (!open.isEmpty()) {
            Map.Entry<String, Long> first = open.entrySet().iterator().next();
            throw Problems.conflict("open-migration", "Open migration", "service " + first.getKey()
                    + " has the open order " + first.getValue() + "; its offer changes with that order (pay or cancel it"
                    + " first)" + (open.size() > 1 ? "; " + (open.size() - 1) + " more services have open orders" : "")
                    + "; nothing was changed").with("orderId", first.getValue()).with("openOrders", open);
        }
    }

    private ApiResponse changeOffers(ApiRequest request, Tx tx) throws SQLException {
        OfferChanges body = request.strictBody(OfferChanges.class);
        List<String> names = body.serviceNames() != null ? body.serviceNames()
                : context.services().namesByOffer(tx, body.fromOffer(), ServiceStatus.ACTIVE, body.limit());
        DesiredStateEngine.OfferChanges changes = context.engine().setDesiredOffers(tx, names, body.offer(),
                actor(tx));
        refuseOpenOrders(tx, changes.profiles().stream().map(DesiredProfile::serviceName).toList());
        return ApiResponse.ok(new OfferChangesDone(changes.offer(), changes.profiles().size(), changes.profiles()));
    }

    private ApiResponse bind(ApiRequest request, Tx tx) throws SQLException {
        Binding body = request.strictBody(Binding.class);
        String name = request.pathParam("serviceName");
        context.engine().bindService(tx, name, body.deviceId(), actor(tx));
        return ApiResponse.ok(view(tx, context.services().find(tx, name).orElseThrow()));
    }

    private ApiResponse fleet(ApiRequest request, Tx tx) throws SQLException {
        Map<String, Object> fleet = new LinkedHashMap<>();
        Map<String, Long> byState = context.devices().countByState(tx);
        fleet.put("devices", byState.values().stream().mapToLong(Long::longValue).sum());
        fleet.put("devicesByState", byState);
        fleet.put("connected", presence.read(tx).connectedCount(tx));
        fleet.put("services", tx.queryLong("SELECT COUNT(*) FROM services"));
        fleet.put("tasksByState", context.tasks().countByState(tx));
        fleet.put("outOfSync", tx.queryLong("SELECT COUNT(*) FROM services s JOIN devices d ON d.id = s.device_id "
                + "WHERE d.applied_service IS NULL OR d.applied_service <> s.name OR d.applied_generation <> s.desired_generation"));
        return ApiResponse.ok(fleet);
    }

    private ApiResponse auditLog(ApiRequest request, Tx tx) throws SQLException {
        List<AuditEvent> events = context.audit().list(tx, request.query("serviceName").orElse(null),
                request.query("deviceId").orElse(null), request.intQuery("after", 0, 0, Integer.MAX_VALUE),
                request.intQuery("limit", 100, 1, 1000));
        return ApiResponse.ok(events);
    }

    private ApiResponse getService(ApiRequest request, Tx tx) throws SQLException {
        return ApiResponse.ok(view(tx, service(tx, request)));
    }

    private ApiResponse tasks(ApiRequest request, Tx tx) throws SQLException {
        Service service = service(tx, request);
        List<PushTask> tasks = context.engine().tasks(tx, service.name());
        return ApiResponse.ok(tasks);
    }

    private ApiResponse serviceAudit(ApiRequest request, Tx tx) throws SQLException {
        Service service = service(tx, request);
        return ApiResponse.ok(context.audit().list(tx, service.name(), null,
                request.intQuery("after", 0, 0, Integer.MAX_VALUE), request.intQuery("limit", 100, 1, 1000)));
    }

    private Service service(Tx tx, ApiRequest request) throws SQLException {
        String name = request.pathParam("serviceName");
        return context.services().find(tx, name).orElseThrow(() -> new DesiredStateException(
                DesiredStateException.Reason.UNKNOWN_SERVICE, "no service " + name));
    }

    /** The service as the API shows it. */
    public ServiceView view(Tx tx, Service service) throws SQLException {
        Optional<Device> device = service.deviceId() == null ? Optional.empty()
                : context.devices().find(tx, service.deviceId());
        DesiredProfile desired = context.engine().desiredProfile(tx, service.name()).orElseThrow();
        long applied = device.filter(d -> service.name().equals(d.appliedService()))
                .map(Device::appliedGeneration).orElse(0L);
        boolean limited = device.map(d -> context.catalog().deviceLimited(service.offer(), d.model())).orElse(false);
        String displayName = context.catalog().offer(service.offer()).map(Catalog.Offer::displayName).orElse(service.offer());
        return new ServiceView(service.name(), service.account(), service.offer(), displayName, service.status().wire(),
                service.serviceIp(), desired.downKbps(), desired.upKbps(),
                device.isEmpty() ? null : DeviceView.of(device.get(), presence.read(tx).holder(device.get().id(),
                        device.get().ownerInstance())),
                service.desiredGeneration(), applied, applied == service.desiredGeneration(), limited);
    }
}
