package net.otb.server.migration;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import net.otb.server.order.Money;

/**
 * One offer change of one service, from the order to the day it takes effect.
 *
 * @param fromMonthly the old offer's monthly price, frozen at order time: the refund's basis
 * @param hardware the box ordered with it, or {@code null}
 * @param oldDeviceId the box bound to the service when the order was paid with a box (decommissioned at delivery)
 * @param shippedDeviceId the serial the warehouse shipped, once known
 * @param generation the desired-profile generation the change produced, once effective
 * @param effectiveDate the day the new offer took effect, once effective
 */
public record Migration(long id, long orderId, String serviceName, MigrationState state, String fromOffer,
                        Money fromMonthly, String toOffer, Money toMonthly, String hardware, Money hardwarePrice,
                        List<String> acceptedContracts, Long shippingContactId, ShippingMethod shippingMethod,
                        String shippingRelayId, String oldDeviceId, String shippedDeviceId, Long generation,
                        LocalDate effectiveDate, Instant createdAt, Instant updatedAt, Instant paidAt,
                        Instant shippedAt, Instant completedAt, Instant cancelledAt) {

    public Migration {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(fromOffer, "fromOffer");
        Objects.requireNonNull(fromMonthly, "fromMonthly");
        Objects.requireNonNull(toOffer, "toOffer");
        Objects.requireNonNull(toMonthly, "toMonthly");
        Objects.requireNonNull(hardwarePrice, "hardwarePrice");
        acceptedContracts = List.copyOf(acceptedContracts);
    }

    public boolean withHardware() {
        return hardware != null;
    }
}
