package net.otb.server.migration;

import java.util.List;
import java.util.Objects;
import net.otb.server.order.Money;

/**
 * The summary the customer accepts: the new monthly price, the box price, the first payment and the contracts.
 *
 * @param fromOffer the offer the service has today
 * @param currentMonthly its monthly price (the basis of the prorata refund)
 * @param offer the target offer
 * @param hardware the box ordered with it, or {@code null}
 * @param firstPayment what the purchase order asks: the new monthly price plus the box
 * @param contracts the target offer's contracts, then the box's
 */
public record Quote(String serviceName, String fromOffer, Money currentMonthly, OfferTerms offer,
                    HardwareTerms hardware, Money firstPayment, List<Contract> contracts) {

    public Quote {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(fromOffer, "fromOffer");
        Objects.requireNonNull(currentMonthly, "currentMonthly");
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(firstPayment, "firstPayment");
        contracts = List.copyOf(contracts);
    }

    public Money monthly() {
        return offer.monthly();
    }

    /** The box price, zero without a box. */
    public Money hardwarePrice() {
        return hardware == null ? Money.ZERO : hardware.price();
    }
}
