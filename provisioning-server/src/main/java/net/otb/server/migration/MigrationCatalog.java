package net.otb.server.migration;

import java.util.List;
import java.util.Optional;

/** The catalog as the offer change sees it: offers (orderable and legacy) and the boxes one may order. */
public interface MigrationCatalog {

    /** Every offer, legacy ones included, in display order. */
    List<OfferTerms> offers();

    /** Every box that may be ordered, in display order. */
    List<HardwareTerms> hardwares();

    default Optional<OfferTerms> offer(String name) {
        return offers().stream().filter(o -> o.name().equals(name)).findFirst();
    }

    default Optional<HardwareTerms> hardware(String name) {
        return hardwares().stream().filter(h -> h.name().equals(name)).findFirst();
    }
}
