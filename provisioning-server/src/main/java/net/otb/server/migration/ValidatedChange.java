package net.otb.server.migration;

import java.util.Objects;
import net.otb.server.contact.Contact;

/**
 * A {@code changeOffers} request that passed every rule: what the purchase order and the migration are made of.
 *
 * @param quote the accepted summary; its first payment is the order amount
 * @param shippingContact where the box goes, {@code null} without a box
 * @param shippingMethod how it goes, {@code null} without a box
 * @param shippingRelayId the relay point for Mondial Relay, else {@code null}
 */
public record ValidatedChange(Quote quote, Contact shippingContact, ShippingMethod shippingMethod,
                              String shippingRelayId) {

    public ValidatedChange {
        Objects.requireNonNull(quote, "quote");
        if ((quote.hardware() == null) != (shippingContact == null) || (shippingContact == null) != (shippingMethod == null)) {
            throw new IllegalArgumentException("a box goes with a contact and a shipping method, and only a box");
        }
        if (shippingMethod != null && shippingMethod.needsRelay() && (shippingRelayId == null || shippingRelayId.isBlank())) {
            throw new IllegalArgumentException(shippingMethod.wireName() + " needs a relay id");
        }
    }

    public boolean withHardware() {
        return quote.hardware() != null;
    }
}
