package net.otb.server.migration;

import java.util.List;
import net.otb.server.order.Money;

/** The docs/architecture.md#the-order-api catalog defaults as the rules see them, for tests that need no store. */
final class DefaultTerms implements MigrationCatalog {

    static final Contract CGV = new Contract("cgv-otb", "https://example.org/contracts/cgv-otb.pdf");
    static final Contract BUSINESS_SLA = new Contract("sla-business", "https://example.org/contracts/sla-business.pdf");
    static final Contract HARDWARE = new Contract("cgv-hardware", "https://example.org/contracts/cgv-hardware.pdf");

    static final OfferTerms STARTER = new OfferTerms("starter.v1", "Starter 500 Mbps", Money.cents(1999), false, 12,
            500_000, 500_000, List.of(CGV));
    static final OfferTerms BUSINESS = new OfferTerms("business.v1", "Business 1 Gbps", Money.cents(3999), false, 12,
            1_000_000, 1_000_000, List.of(CGV, BUSINESS_SLA));
    static final OfferTerms PLUS = new OfferTerms("plus.v1", "Plus (legacy)", Money.cents(2999), true, 0,
            200_000, 200_000, List.of(CGV));
    static final HardwareTerms OTBV3 = new HardwareTerms("otbv3", "OverTheBox v3", "v3", Money.cents(24999),
            List.of(HARDWARE, CGV));

    @Override
    public List<OfferTerms> offers() {
        return List.of(STARTER, BUSINESS, PLUS);
    }

    @Override
    public List<HardwareTerms> hardwares() {
        return List.of(OTBV3);
    }
}
