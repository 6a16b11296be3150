package net.otb.server.migration;

import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.otb.protocol.LogSafe;
import net.otb.server.contact.Contact;
import net.otb.server.contact.ContactStore;
import net.otb.server.desired.AuditLog;
import net.otb.server.desired.DesiredProfile;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.device.Device;
import net.otb.server.device.DeviceState;
import net.otb.server.device.Devices;
import net.otb.server.device.HelloListener;
import net.otb.server.device.Service;
import net.otb.server.device.Services;
import net.otb.server.order.OrderStatus;
import net.otb.server.order.OrderStore;
import net.otb.server.order.PurchaseOrder;
import net.otb.server.order.Refusal;
import net.otb.server.order.Result;
import net.otb.server.refund.ProrataRefund;
import net.otb.server.refund.Refund;
import net.otb.server.refund.RefundStore;
import net.otb.server.store.Tx;
import net.otb.protocol.logging.LogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offer change, end to end: order, payment, cancel, shipment, and the box's reception. Every method runs in
 * the caller's transaction, locks the rows that decide it (service, then order, then migration), writes the
 * transition and its audit event, and returns a refusal value when a rule forbids it; the caller's rollback
 * then leaves nothing half-done. The state lives in the store only, so a restart between payment and delivery
 * loses nothing: the reception is re-evaluated at every hello. Thread-safe (stateless apart from collaborators).
 */
public final class OfferChange implements HelloListener {

    private static final Logger LOG = LoggerFactory.getLogger(OfferChange.class);

    /** The billing day of a payment or a reception is the day in this zone. */
    private final ZoneId billingZone;
    private final MigrationRules rules;
    private final Services services;
    private final Devices devices;
    private final DesiredStateEngine engine;
    private final AuditLog audit;
    private final ContactStore contacts = new ContactStore();
    private final OrderStore orders = new OrderStore();
    private final MigrationStore migrations = new MigrationStore();
    private final RefundStore refunds = new RefundStore();

    public OfferChange(MigrationCatalog catalog, Services services, Devices devices, DesiredStateEngine engine,
                       AuditLog audit, ZoneId billingZone) {
        this.rules = new MigrationRules(catalog);
        this.services = Objects.requireNonNull(services, "services");
        this.devices = Objects.requireNonNull(devices, "devices");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.billingZone = Objects.requireNonNull(billingZone, "billingZone");
    }

    /** An order and the migration it pays for. */
    public record OrderedChange(PurchaseOrder order, Migration migration) {
    }

    /**
     * A migration, its order and its refund once established.
     *
     * @param boundDeviceId the box the service is bound to now
     * @param profileApplied once done, whether that box reported the migration's generation (or a later one) applied
     */
    public record MigrationStatus(Migration migration, PurchaseOrder order, Optional<Refund> refund,
                                  Optional<String> boundDeviceId, Optional<Boolean> profileApplied) {
    }

    public ContactStore contacts() {
        return contacts;
    }

    public RefundStore refunds() {
        return refunds;
    }

    public Result<EligibleOffers> eligibleOffers(Tx tx, String serviceName) throws SQLException {
        Optional<ServiceView> view = view(tx, serviceName, false);
        if (view.isEmpty()) {
            return unknownService(serviceName);
        }
        return rules.eligibleOffers(view.get());
    }

    /** The summary; a given contact must exist, though a box is only checked for one at {@code changeOffers}. */
    public Result<Quote> quote(Tx tx, String serviceName, String offer, String hardware, Long shippingContactId)
            throws SQLException {
        Optional<ServiceView> view = view(tx, serviceName, false);
        if (view.isEmpty()) {
            return unknownService(serviceName);
        }
        Result<Quote> quote = rules.quote(view.get(), offer, hardware);
        if (quote.isAccepted() && shippingContactId != null && contacts.find(tx, shippingContactId).isEmpty()) {
            return Result.rejected(Refusal.invalid("unknown-contact",
                    "shipping contact " + shippingContactId + " does not exist"));
        }
        return quote;
    }

    /**
     * Validates the request and creates the purchase order and its open migration. The service row is locked
     * first, so concurrent requests for one service queue and each sees the migration the previous one opened.
     */
    public Result<OrderedChange> changeOffers(Tx tx, String serviceName, ChangeRequest request, String actor)
            throws SQLException {
        Optional<ServiceView> view = view(tx, serviceName, true);
        if (view.isEmpty()) {
            return unknownService(serviceName);
        }
        Result<ValidatedChange> checked;
        try {
            checked = rules.validate(view.get(), request, id -> find(tx, id));
        } catch (ContactLookupFailed e) {
            throw e.getCause();
        }
        if (!checked.isAccepted()) {
            return Result.rejected(checked.refusal());
        }
        ValidatedChange change = checked.value();
        Quote quote = change.quote();
        PurchaseOrder order = orders.create(tx, serviceName, quote.monthly(), quote.hardwarePrice());
        Migration migration = migrations.create(tx, order.id(), change);
        audit.append(tx, actor, "migration.ordered", serviceName, null, null,
                "order " + order.id() + ": " + quote.fromOffer() + " -> " + quote.offer().name()
                        + (quote.hardware() == null ? " without a box" : " with " + quote.hardware().name()
                        + " shipped by " + change.shippingMethod().wireName() + " to contact " + change.shippingContact().id())
                        + ", amount " + order.amount().cents() + " cents");
        LOG.info("event=order.created service={} order={} from={} to={} hardware={} amountCents={}",
                LogFields.value(serviceName), order.id(), quote.fromOffer(), quote.offer().name(),
                quote.hardware() == null ? "-" : quote.hardware().name(), order.amount().cents());
        return Result.accepted(new OrderedChange(order, migration));
    }

    public Result<OrderedChange> order(Tx tx, long orderId) throws SQLException {
        Optional<PurchaseOrder> order = orders.find(tx, orderId);
        if (order.isEmpty()) {
            return unknownOrder(orderId);
        }
        return Result.accepted(new OrderedChange(order.get(), migrations.forOrder(tx, orderId).orElseThrow()));
    }

    /**
     * Billing's payment notification. The same notification twice changes nothing; a cancelled order is refused.
     * Paid without a box, the offer switches now and the refund is established; with a box, the migration waits
     * for the box.
     *
     * @param paymentId billing's payment id, or null; a paid order refuses a different one (null included: a
     *        notification without an id and one with an id are two payments)
     * @param amountCents the amount paid, or null; when given it must be the order's amount
     */
    public Result<OrderedChange> pay(Tx tx, long orderId, String paymentId, Long amountCents, String actor)
            throws SQLException {
        Optional<PurchaseOrder> peek = orders.find(tx, orderId);
        if (peek.isEmpty()) {
            return unknownOrder(orderId);
        }
        // lock order: service, order, migration, as changeOffers and the hello do, so no two paths deadlock
        services.lock(tx, peek.get().serviceName());
        PurchaseOrder order = orders.lock(tx, orderId).orElseThrow();
        Migration migration = migrations.lockForOrder(tx, orderId).orElseThrow();
        switch (order.status()) {
            case CANCELLED:
                return Result.rejected(Refusal.conflict("order-cancelled", "order " + orderId
                        + " was cancelled at " + order.cancelledAt() + "; its payment is refused"));
            case PAID:
                // the first notification's identity, whatever it carried (an id or none), is the payment: a
                // notification without an id followed by one with an id is two payments, not a retry
                if (!java.util.Objects.equals(paymentId, order.paymentId())) {
                    return Result.rejected(Refusal.conflict("already-paid", "order " + orderId + " is already paid by "
                            + describePayment(order.paymentId()) + "; " + describePayment(paymentId) + " is refused"));
                }
                return Result.accepted(new OrderedChange(order, migration));
            case UNPAID:
                break;
            default:
                throw new IllegalStateException("order status " + order.status());
        }
        if (amountCents != null && amountCents != order.amount().cents()) {
            return Result.rejected(Refusal.conflict("amount-mismatch", "order " + orderId + " amounts to "
                    + order.amount().cents() + " cents; a payment of " + amountCents + " cents does not settle it"));
        }
        Instant now = tx.now();
        if (!orders.markPaid(tx, orderId, paymentId, now)) {
            throw new SQLException("order " + orderId + " changed under its row lock");
        }
        Service service = services.find(tx, order.serviceName()).orElseThrow();
        if (migration.withHardware()) {
            migrations.markPaid(tx, migration.id(), true, service.deviceId(), now);
            audit.append(tx, actor, "migration.paid", service.name(), service.deviceId(), null,
                    "order " + orderId + " paid" + (paymentId == null ? "" : " by " + paymentId)
                            + "; waiting for the " + migration.hardware() + " box");
        } else {
            migrations.markPaid(tx, migration.id(), false, service.deviceId(), now);
            audit.append(tx, actor, "migration.paid", service.name(), service.deviceId(), null,
                    "order " + orderId + " paid" + (paymentId == null ? "" : " by " + paymentId));
            complete(tx, migrations.find(tx, migration.id()).orElseThrow(), actor);
        }
        return order(tx, orderId);
    }

    private static String describePayment(String paymentId) {
        return paymentId == null ? "a payment without paymentId" : "payment " + paymentId;
    }

    /** Cancels an unpaid order and closes its migration; a cancelled order stays cancelled, a paid one is refused. */
    public Result<OrderedChange> cancel(Tx tx, long orderId, String actor) throws SQLException {
        Optional<PurchaseOrder> peek = orders.find(tx, orderId);
        if (peek.isEmpty()) {
            return unknownOrder(orderId);
        }
        services.lock(tx, peek.get().serviceName());
        PurchaseOrder order = orders.lock(tx, orderId).orElseThrow();
        Migration migration = migrations.lockForOrder(tx, orderId).orElseThrow();
        if (order.status() == OrderStatus.PAID) {
            return Result.rejected(Refusal.conflict("order-paid", "order " + orderId + " was paid at "
                    + order.paidAt() + "; a paid order cannot be cancelled"));
        }
        if (order.status() == OrderStatus.UNPAID) {
            Instant now = tx.now();
            orders.markCancelled(tx, orderId, now);
            migrations.markCancelled(tx, migration.id(), now);
            audit.append(tx, actor, "migration.cancelled", order.serviceName(), null, null,
                    "order " + orderId + " cancelled before payment");
        }
        return order(tx, orderId);
    }

    /**
     * The warehouse shipped {@code deviceId} for the order. The box must be registered, unused and of the ordered
     * model. Naming the same box again changes nothing; naming another once shipped is refused.
     */
    public Result<OrderedChange> ship(Tx tx, long orderId, String deviceId, String actor) throws SQLException {
        Optional<PurchaseOrder> peek = orders.find(tx, orderId);
        if (peek.isEmpty()) {
            return unknownOrder(orderId);
        }
        services.lock(tx, peek.get().serviceName());
        PurchaseOrder order = orders.lock(tx, orderId).orElseThrow();
        Migration migration = migrations.lockForOrder(tx, orderId).orElseThrow();
        if (!migration.withHardware()) {
            return Result.rejected(Refusal.conflict("no-box-ordered", "order " + orderId + " has no box to ship"));
        }
        if (order.status() != OrderStatus.PAID) {
            return Result.rejected(Refusal.conflict("order-not-paid", "order " + orderId + " is "
                    + order.status().wire() + "; a box ships once its order is paid"));
        }
        if (migration.shippedDeviceId() != null) {
            if (migration.shippedDeviceId().equals(deviceId)) {
                return order(tx, orderId);
            }
            return Result.rejected(Refusal.conflict("already-shipped", "order " + orderId + " already shipped box "
                    + migration.shippedDeviceId()));
        }
        Optional<Device> device = devices.lock(tx, deviceId);
        if (device.isEmpty()) {
            return Result.rejected(Refusal.conflict("unknown-device", "box " + deviceId
                    + " is not registered; register it with POST /1.0/admin/devices first"));
        }
        String expectedModel = rules.hardwareModel(migration.hardware());
        if (expectedModel != null && !expectedModel.equals(device.get().model())) {
            return Result.rejected(Refusal.conflict("wrong-model", "order " + orderId + " is for a "
                    + migration.hardware() + " (model " + expectedModel + "); box " + deviceId + " is a "
                    + device.get().model()));
        }
        if (device.get().state() != DeviceState.REGISTERED && device.get().state() != DeviceState.ACTIVE) {
            return Result.rejected(Refusal.conflict("device-unavailable", "box " + deviceId + " is "
                    + device.get().state().wire()));
        }
        Optional<Service> boundTo = services.findByDevice(tx, deviceId);
        if (boundTo.isPresent()) {
            return Result.rejected(Refusal.conflict("device-in-use", "box " + deviceId + " is bound to service "
                    + boundTo.get().name()));
        }
        Optional<Migration> other = migrations.shippedTo(tx, deviceId);
        if (other.isPresent()) {
            return Result.rejected(Refusal.conflict("device-in-use", "box " + deviceId + " was shipped for order "
                    + other.get().orderId()));
        }
        migrations.markShipped(tx, migration.id(), deviceId, tx.now());
        // the box's next hello is its reception: the gateway must read its state again to see it
        engine.boxChanged(tx, deviceId);
        audit.append(tx, actor, "migration.shipped", order.serviceName(), deviceId, null,
                "order " + orderId + ": box " + deviceId + " shipped");
        LOG.info("event=order.shipped service={} order={} device={}", LogFields.value(order.serviceName()), orderId,
                LogFields.value(deviceId));
        return order(tx, orderId);
    }

    /**
     * A box connected: if it is the box shipped for an open migration, this is its reception. The service is bound
     * to it (same IP), the old box is decommissioned, the new offer becomes the desired profile, the refund is
     * established; all in the hello's transaction, so the session that follows pushes the new profile.
     */
    @Override
    public boolean onHelloAccepted(Tx tx, AcceptedHello hello) throws SQLException {
        Optional<Migration> peek = migrations.shippedTo(tx, hello.deviceId());
        if (peek.isEmpty() || peek.get().state() != MigrationState.SHIPPED) {
            return false;
        }
        services.lock(tx, peek.get().serviceName());
        orders.lock(tx, peek.get().orderId());
        Optional<Migration> locked = migrations.lockShippedTo(tx, hello.deviceId());
        if (locked.isEmpty()) {
            return false;
        }
        Migration migration = locked.get();
        String actor = "device:" + hello.deviceId();
        Optional<Service> elsewhere = services.findByDevice(tx, hello.deviceId())
                .filter(s -> !s.name().equals(migration.serviceName()));
        if (elsewhere.isPresent()) {
            // an operator bound this box to another service after it shipped: throwing would refuse every hello of
            // the box, so the migration waits for an operator and says why
            LOG.warn("event=migration.blocked service={} device={} boundTo={} order={} detail=\"the box is bound to "
                    + "another service; the order waits for an operator\"", LogFields.value(migration.serviceName()),
                    LogFields.value(hello.deviceId()), LogFields.value(elsewhere.get().name()), migration.orderId());
            audit.append(tx, actor, "migration.blocked", migration.serviceName(), hello.deviceId(), null,
                    "order " + migration.orderId() + ": box " + hello.deviceId() + " is bound to service "
                            + elsewhere.get().name());
            return false;
        }
        engine.bindService(tx, migration.serviceName(), hello.deviceId(), actor);
        audit.append(tx, actor, "migration.received", migration.serviceName(), hello.deviceId(), null,
                "order " + migration.orderId() + ": box " + hello.deviceId() + " connected"
                        + (migration.oldDeviceId() == null ? "" : "; box " + migration.oldDeviceId() + " replaced"));
        complete(tx, migration, actor);
        return true;
    }

    /** The service's latest migration with its order and refund. */
    public Result<MigrationStatus> status(Tx tx, String serviceName) throws SQLException {
        Optional<Service> service = services.find(tx, serviceName);
        if (service.isEmpty()) {
            return unknownService(serviceName);
        }
        Optional<Migration> migration = migrations.latest(tx, serviceName);
        if (migration.isEmpty()) {
            return Result.rejected(Refusal.notFound("no-migration", "service " + serviceName
                    + " has never changed offer"));
        }
        Migration m = migration.get();
        Optional<Boolean> applied = Optional.empty();
        if (m.state() == MigrationState.DONE && m.generation() != null) {
            Optional<Device> bound = service.get().deviceId() == null ? Optional.empty()
                    : devices.find(tx, service.get().deviceId());
            applied = Optional.of(bound.filter(d -> serviceName.equals(d.appliedService())
                    && d.appliedGeneration() >= m.generation()).isPresent());
        }
        return Result.accepted(new MigrationStatus(m, orders.find(tx, m.orderId()).orElseThrow(),
                refunds.forMigration(tx, m.id()), Optional.ofNullable(service.get().deviceId()), applied));
    }

    /** The refunds of an order, or the latest ones when {@code orderId} is null. */
    public Result<List<Refund>> refunds(Tx tx, Long orderId) throws SQLException {
        if (orderId == null) {
            return Result.accepted(refunds.recent(tx, 100));
        }
        if (orders.find(tx, orderId).isEmpty()) {
            return unknownOrder(orderId);
        }
        return Result.accepted(refunds.forOrder(tx, orderId));
    }

    /** The offer switches: a new desired generation (same service IP), the migration done, the refund established. */
    private void complete(Tx tx, Migration migration, String actor) throws SQLException {
        DesiredProfile profile = engine.setDesiredOffer(tx, migration.serviceName(), migration.toOffer(), actor);
        LocalDate effective = LocalDate.ofInstant(tx.now(), billingZone);
        migrations.markDone(tx, migration.id(), profile.generation(), effective, tx.now());
        audit.append(tx, actor, "migration.done", migration.serviceName(), null, profile.generation(),
                "order " + migration.orderId() + ": offer " + migration.fromOffer() + " -> " + migration.toOffer()
                        + " effective " + effective);
        ProrataRefund prorata = ProrataRefund.of(migration.fromMonthly().cents(), effective);
        Refund refund = refunds.establish(tx, migration.id(), migration.orderId(), migration.serviceName(),
                migration.fromOffer(), prorata);
        audit.append(tx, actor, "refund.established", migration.serviceName(), null, profile.generation(),
                "order " + migration.orderId() + ": " + refund.prorata().amountCents() + " cents = round_half_up("
                        + prorata.oldMonthlyCents() + " x " + prorata.refundedDays() + " / " + prorata.daysInMonth() + ")");
        LOG.info("event=migration.effective service={} order={} from={} to={} effective={} generation={} refundCents={}",
                LogFields.value(migration.serviceName()), migration.orderId(), migration.fromOffer(), migration.toOffer(),
                effective, profile.generation(), prorata.amountCents());
    }

    private Optional<ServiceView> view(Tx tx, String serviceName, boolean lock) throws SQLException {
        Optional<Service> service = lock ? services.lock(tx, serviceName) : services.find(tx, serviceName);
        if (service.isEmpty()) {
            return Optional.empty();
        }
        Optional<Migration> open = migrations.open(tx, serviceName);
        return Optional.of(new ServiceView(serviceName, service.get().offer(), service.get().status().wire(),
                open.isPresent(), open.map(Migration::orderId).orElse(null)));
    }

    private Optional<Contact> find(Tx tx, long id) {
        try {
            return contacts.find(tx, id);
        } catch (SQLException e) {
            throw new ContactLookupFailed(e);
        }
    }

    private static <T> Result<T> unknownService(String serviceName) {
        return Result.rejected(Refusal.notFound("unknown-service", "no service " + serviceName));
    }

    private static <T> Result<T> unknownOrder(long orderId) {
        return Result.rejected(Refusal.notFound("unknown-order", "no order " + orderId));
    }

    /** Carries a store failure out of the rules' contact lookup, which cannot throw checked exceptions. */
    private static final class ContactLookupFailed extends RuntimeException {
        ContactLookupFailed(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }
}
