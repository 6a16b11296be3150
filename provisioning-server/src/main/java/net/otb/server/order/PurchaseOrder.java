package net.otb.server.order;

import java.time.Instant;
import java.util.Objects;

/**
 * The purchase order of an offer change: the first payment (new monthly price plus box) the customer must pay.
 *
 * @param paymentId billing's id of the payment that settled it, when known
 */
public record PurchaseOrder(long id, String serviceName, OrderStatus status, Money amount, Money monthly,
                            Money hardware, Instant createdAt, Instant paidAt, String paymentId, Instant cancelledAt) {

    public PurchaseOrder {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(monthly, "monthly");
        Objects.requireNonNull(hardware, "hardware");
        Objects.requireNonNull(createdAt, "createdAt");
        if (amount.cents() != monthly.cents() + hardware.cents()) {
            throw new IllegalArgumentException("order amount must be the monthly price plus the box");
        }
    }

    /** Where the order system reads it. */
    public String url() {
        return "/1.0/me/order/" + id;
    }
}
