package net.otb.server.migration;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import net.otb.server.contact.Contact;
import net.otb.server.order.Money;
import net.otb.server.order.PurchaseOrder;
import net.otb.server.refund.Refund;

/**
 * The JSON bodies of the offer-change API, as the OpenAPI document describes them. Money goes out twice: exact
 * cents for machines, and the public OverTheBox API's {@code {currencyCode, text, value}}.
 */
final class Views {

    private Views() {
    }

    record Price(long cents, String currencyCode, String text, BigDecimal value) {
        static Price of(Money money) {
            return new Price(money.cents(), money.currencyCode(), money.text(), money.value());
        }
    }

    record ContractView(String name, String url) {
        static ContractView of(Contract contract) {
            return new ContractView(contract.name(), contract.url());
        }
    }

    record HardwareView(String hardwareName, String hardwareDisplayName, Price hardwarePrice, boolean shippingIncluded) {
        static HardwareView of(HardwareTerms hardware) {
            return new HardwareView(hardware.name(), hardware.displayName(), Price.of(hardware.price()), true);
        }
    }

    record CurrentOffer(String offer, String description, Price price, boolean legacy) {
    }

    record OfferView(String offer, String description, Price price, Price currentOfferPrice, int engagementMonths,
                     long downKbps, long upKbps, boolean hardwareAvailable, boolean hardwareRequired,
                     List<HardwareView> hardwares, List<ContractView> contracts) {
    }

    record EligibleView(String serviceName, CurrentOffer currentOffer, List<OfferView> offers) {
        static EligibleView of(EligibleOffers eligible) {
            OfferTerms current = eligible.current();
            return new EligibleView(eligible.serviceName(),
                    new CurrentOffer(current.name(), current.description(), Price.of(current.monthly()), current.legacy()),
                    eligible.targets().stream().map(t -> new OfferView(t.offer().name(), t.offer().description(),
                            Price.of(t.offer().monthly()), Price.of(current.monthly()), t.offer().engagementMonths(),
                            t.offer().downKbps(), t.offer().upKbps(), !t.hardwares().isEmpty(), t.hardwareRequired(),
                            t.hardwares().stream().map(HardwareView::of).toList(),
                            t.offer().contracts().stream().map(ContractView::of).toList())).toList());
        }
    }

    record QuoteView(String serviceName, String currentOffer, Price currentOfferPrice, String offer,
                     String description, String hardwareName, Long shippingContactID, Price monthlyPrice,
                     Price hardwarePrice, Price firstPayment, List<ContractView> contracts) {
        static QuoteView of(Quote quote, Long shippingContactId) {
            return new QuoteView(quote.serviceName(), quote.fromOffer(), Price.of(quote.currentMonthly()),
                    quote.offer().name(), quote.offer().description(),
                    quote.hardware() == null ? null : quote.hardware().name(), shippingContactId,
                    Price.of(quote.monthly()), Price.of(quote.hardwarePrice()), Price.of(quote.firstPayment()),
                    quote.contracts().stream().map(ContractView::of).toList());
        }
    }

    record OrderCreated(long orderId, String orderUrl, Price amount, String migrationState) {
    }

    record OrderView(long orderId, String orderUrl, String serviceName, String status, Price amount,
                     Price monthlyPrice, Price hardwarePrice, Instant createdAt, Instant paidAt, String paymentId,
                     Instant cancelledAt, MigrationView migration) {
        static OrderView of(PurchaseOrder order, Migration migration) {
            return new OrderView(order.id(), order.url(), order.serviceName(), order.status().wire(),
                    Price.of(order.amount()), Price.of(order.monthly()), Price.of(order.hardware()), order.createdAt(),
                    order.paidAt(), order.paymentId(), order.cancelledAt(), MigrationView.of(migration, order, null, null, null));
        }
    }

    record RefundView(long refundId, long orderId, long migrationId, String serviceName, String oldOffer,
                      Price oldMonthlyPrice, LocalDate effectiveDate, int dayOfMonth, int daysInMonth,
                      int refundedDays, Price amount, String formula, Instant createdAt) {
        static RefundView of(Refund refund) {
            var p = refund.prorata();
            return new RefundView(refund.id(), refund.orderId(), refund.migrationId(), refund.serviceName(),
                    refund.oldOffer(), Price.of(Money.cents(p.oldMonthlyCents())), p.effectiveDate(), p.dayOfMonth(),
                    p.daysInMonth(), p.refundedDays(), Price.of(Money.cents(p.amountCents())),
                    "round_half_up(" + p.oldMonthlyCents() + " * (" + p.daysInMonth() + " - " + p.dayOfMonth()
                            + " + 1) / " + p.daysInMonth() + ")", refund.createdAt());
        }
    }

    record MigrationView(long migrationId, long orderId, String orderUrl, String orderStatus, String serviceName,
                         String state, String fromOffer, String toOffer, String hardwareName,
                         List<String> acceptedContracts, Long shippingContactID, String shippingMethod,
                         String shippingRelayID, String oldDeviceId, String shippedDeviceId, String boundDeviceId,
                         Long generation, Boolean profileApplied, LocalDate effectiveDate, Instant createdAt,
                         Instant paidAt, Instant shippedAt, Instant completedAt, Instant cancelledAt, RefundView refund) {
        static MigrationView of(Migration m, PurchaseOrder order, String boundDeviceId, Boolean profileApplied,
                                Refund refund) {
            return new MigrationView(m.id(), m.orderId(), order.url(), order.status().wire(), m.serviceName(),
                    m.state().wire(), m.fromOffer(), m.toOffer(), m.hardware(), m.acceptedContracts(),
                    m.shippingContactId(), m.shippingMethod() == null ? null : m.shippingMethod().wireName(),
                    m.shippingRelayId(), m.oldDeviceId(), m.shippedDeviceId(), boundDeviceId, m.generation(), profileApplied,
                    m.effectiveDate(), m.createdAt(), m.paidAt(), m.shippedAt(), m.completedAt(), m.cancelledAt(),
                    refund == null ? null : RefundView.of(refund));
        }
    }

    record ContactView(long id, String name, String street, String postcode, String city, String country,
                       String phone, @com.fasterxml.jackson.annotation.JsonProperty("default") boolean isDefault,
                       Instant createdAt) {
        static ContactView of(Contact c) {
            return new ContactView(c.id(), c.name(), c.street(), c.postcode(), c.city(), c.country(), c.phone(),
                    c.isDefault(), c.createdAt());
        }
    }
}
