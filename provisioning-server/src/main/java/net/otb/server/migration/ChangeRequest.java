package net.otb.server.migration;

import java.util.List;

/**
 * The body of {@code changeOffers} as the order system sent it; {@link MigrationRules#validate} checks it.
 *
 * @param offer the target offer
 * @param hardwareName the box to order with the change, or {@code null}
 * @param shippingContactId the delivery contact, required with a box
 * @param shippingMethod {@code dhl} or {@code mondialRelay}, with a box only; {@code dhl} when absent
 * @param shippingRelayId the Mondial Relay point, required with {@code mondialRelay}
 * @param acceptedContracts the names of the contracts the customer accepted
 */
public record ChangeRequest(String offer, String hardwareName, Long shippingContactId, String shippingMethod,
                            String shippingRelayId, List<String> acceptedContracts) {

    public ChangeRequest {
        acceptedContracts = acceptedContracts == null ? List.of() : List.copyOf(acceptedContracts);
    }
}
