package net.otb.server.migration;

import java.util.List;
import java.util.Objects;
import net.otb.server.order.Money;

/**
 * What the offer change needs to know of a catalog offer.
 *
 * @param name the offer's id, e.g. {@code business.v1}
 * @param description what the customer sees, e.g. {@code Business 1 Gbps}
 * @param monthly the monthly price, excl. VAT
 * @param legacy a legacy offer is kept by the services that have it but is never a target
 * @param engagementMonths the commitment period of a new subscription (0 = none)
 * @param downKbps the shaping it gives, download
 * @param upKbps the shaping it gives, upload
 * @param contracts the contracts to accept to move to this offer
 */
public record OfferTerms(String name, String description, Money monthly, boolean legacy, int engagementMonths,
                         long downKbps, long upKbps, List<Contract> contracts) {

    public OfferTerms {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(monthly, "monthly");
        if (engagementMonths < 0) {
            throw new IllegalArgumentException("engagementMonths must not be negative");
        }
        if (downKbps <= 0 || upKbps <= 0) {
            throw new IllegalArgumentException("offer " + name + " needs positive bandwidths");
        }
        contracts = contracts == null ? List.of() : List.copyOf(contracts);
    }
}
