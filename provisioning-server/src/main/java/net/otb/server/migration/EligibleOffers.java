package net.otb.server.migration;

import java.util.List;
import java.util.Objects;

/**
 * The offers a service may move to, and its current one (which may be legacy).
 *
 * @param current the service's offer today
 * @param targets the offers it may order, each with the boxes it may add
 */
public record EligibleOffers(String serviceName, OfferTerms current, List<Target> targets) {

    /**
     * One orderable offer.
     *
     * @param hardwareRequired true for the current offer: moving to it only makes sense with a new box
     * @param hardwares the boxes that may be ordered with it
     */
    public record Target(OfferTerms offer, boolean hardwareRequired, List<HardwareTerms> hardwares) {
        public Target {
            Objects.requireNonNull(offer, "offer");
            hardwares = List.copyOf(hardwares);
        }
    }

    public EligibleOffers {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(current, "current");
        targets = List.copyOf(targets);
    }
}
