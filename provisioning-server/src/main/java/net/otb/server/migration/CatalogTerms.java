package net.otb.server.migration;

import java.util.List;
import java.util.function.Supplier;
import net.otb.server.catalog.Catalog;
import net.otb.server.order.Money;

/**
 * The server's catalog seen through {@link MigrationCatalog}; read on every call, so a reloaded catalog applies to
 * the next quote.
 */
public final class CatalogTerms implements MigrationCatalog {

    private final Supplier<Catalog> catalog;

    public CatalogTerms(Supplier<Catalog> catalog) {
        this.catalog = catalog;
    }

    @Override
    public List<OfferTerms> offers() {
        return catalog.get().offers().stream().map(CatalogTerms::terms).toList();
    }

    @Override
    public List<HardwareTerms> hardwares() {
        return catalog.get().hardware().stream().map(CatalogTerms::terms).toList();
    }

    private static OfferTerms terms(Catalog.Offer offer) {
        return new OfferTerms(offer.name(), offer.displayName(), Money.cents(offer.monthlyPriceCents()), offer.legacy(),
                offer.engagementMonths(), offer.downKbps(), offer.upKbps(),
                offer.contracts().stream().map(c -> new Contract(c.name(), c.url())).toList());
    }

    private static HardwareTerms terms(Catalog.Hardware hardware) {
        return new HardwareTerms(hardware.name(), hardware.displayName(), hardware.model(),
                Money.cents(hardware.priceCents()), List.of());
    }
}
