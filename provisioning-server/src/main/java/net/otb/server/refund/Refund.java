package net.otb.server.refund;

import java.time.Instant;
import java.util.Objects;

/**
 * A refund established for a migration, with the inputs that make its amount.
 *
 * @param oldOffer the offer whose month is partly refunded
 * @param prorata the computation: old monthly price, effective date, days, amount
 */
public record Refund(long id, long migrationId, long orderId, String serviceName, String oldOffer,
                     ProrataRefund prorata, Instant createdAt) {

    public Refund {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(oldOffer, "oldOffer");
        Objects.requireNonNull(prorata, "prorata");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
