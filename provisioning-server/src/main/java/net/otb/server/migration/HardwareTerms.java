package net.otb.server.migration;

import java.util.List;
import java.util.Objects;
import net.otb.server.order.Money;

/**
 * A box that can be ordered with an offer change; its price includes shipping.
 *
 * @param name the hardware id, e.g. {@code otbv3}
 * @param displayName e.g. {@code OverTheBox v3}
 * @param model the device model it ships as, e.g. {@code v3}
 * @param price the box price, shipping included
 * @param contracts the contracts to accept to order it
 */
public record HardwareTerms(String name, String displayName, String model, Money price, List<Contract> contracts) {

    public HardwareTerms {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(displayName, "displayName");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(price, "price");
        contracts = contracts == null ? List.of() : List.copyOf(contracts);
    }
}
