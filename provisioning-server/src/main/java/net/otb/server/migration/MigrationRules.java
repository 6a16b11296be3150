package net.otb.server.migration;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.stream.Collectors;
import net.otb.server.contact.Contact;
import net.otb.server.order.Refusal;
import net.otb.server.order.Result;

/**
 * The rules of the offer change (docs/architecture.md#the-order-api) as plain functions of a service's state and the catalog: no socket,
 * no SQL, so every rule is tested on its own. Each method returns a refusal value that names what is wrong.
 */
public final class MigrationRules {

    private final MigrationCatalog catalog;

    public MigrationRules(MigrationCatalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /**
     * The offers {@code service} may move to. A legacy offer shows as the current one and never as a target;
     * the current offer, when orderable, is a target only with a box.
     */
    public Result<EligibleOffers> eligibleOffers(ServiceView service) {
        Result<OfferTerms> current = checkService(service);
        if (!current.isAccepted()) {
            return Result.rejected(current.refusal());
        }
        List<HardwareTerms> hardwares = catalog.hardwares();
        List<EligibleOffers.Target> targets = new ArrayList<>();
        for (OfferTerms offer : catalog.offers()) {
            if (offer.legacy()) {
                continue;
            }
            boolean same = offer.name().equals(service.offer());
            if (same && hardwares.isEmpty()) {
                continue;
            }
            targets.add(new EligibleOffers.Target(offer, same, hardwares));
        }
        return Result.accepted(new EligibleOffers(service.serviceName(), current.value(), targets));
    }

    /**
     * The summary for moving {@code service} to {@code offerName}, with the box {@code hardwareName} or none.
     * A service with an open migration gets no new quote: it could not order it.
     */
    public Result<Quote> quote(ServiceView service, String offerName, String hardwareName) {
        Result<OfferTerms> checked = checkService(service);
        if (!checked.isAccepted()) {
            return Result.rejected(checked.refusal());
        }
        OfferTerms current = checked.value();
        if (service.openMigration()) {
            String order = service.openOrderId() == null ? "its order" : "order " + service.openOrderId();
            return Result.rejected(Refusal.conflict("open-migration", "service " + service.serviceName()
                    + " already has an open migration (" + order + "); pay or cancel " + order + " first"));
        }
        if (offerName == null || offerName.isBlank()) {
            return Result.rejected(Refusal.invalid("offer-required",
                    "offer is required; orderable offers: " + orderableNames()));
        }
        Optional<OfferTerms> target = catalog.offer(offerName);
        if (target.isEmpty()) {
            return Result.rejected(Refusal.invalid("unknown-offer", "offer '" + offerName
                    + "' is not in the catalog; orderable offers: " + orderableNames()));
        }
        if (target.get().legacy()) {
            return Result.rejected(Refusal.conflict("legacy-offer", "offer " + offerName
                    + " is a legacy offer and cannot be ordered; orderable offers: " + orderableNames()));
        }
        HardwareTerms hardware = null;
        if (hardwareName != null && !hardwareName.isBlank()) {
            Optional<HardwareTerms> found = catalog.hardware(hardwareName);
            if (found.isEmpty()) {
                return Result.rejected(Refusal.invalid("unknown-hardware", "hardware '" + hardwareName
                        + "' is not in the catalog; boxes: "
                        + catalog.hardwares().stream().map(HardwareTerms::name).collect(Collectors.joining(", "))));
            }
            hardware = found.get();
        }
        if (hardware == null && offerName.equals(service.offer())) {
            return Result.rejected(Refusal.conflict("same-offer-needs-box", "service " + service.serviceName()
                    + " already has offer " + offerName + "; the same offer can only be ordered with a box"));
        }
        Map<String, Contract> contracts = new LinkedHashMap<>();
        target.get().contracts().forEach(c -> contracts.putIfAbsent(c.name(), c));
        if (hardware != null) {
            hardware.contracts().forEach(c -> contracts.putIfAbsent(c.name(), c));
        }
        var firstPayment = hardware == null ? target.get().monthly() : target.get().monthly().plus(hardware.price());
        return Result.accepted(new Quote(service.serviceName(), current.name(), current.monthly(), target.get(),
                hardware, firstPayment, List.copyOf(contracts.values())));
    }

    /**
     * Checks a {@code changeOffers} request: the quote's rules, the shipping of a box, and that every contract of
     * the quote was accepted.
     *
     * @param contacts finds a stored contact by id
     */
    public Result<ValidatedChange> validate(ServiceView service, ChangeRequest request,
                                            LongFunction<Optional<Contact>> contacts) {
        Result<Quote> quoted = quote(service, request.offer(), request.hardwareName());
        if (!quoted.isAccepted()) {
            return Result.rejected(quoted.refusal());
        }
        Quote quote = quoted.value();
        Contact contact = null;
        ShippingMethod method = null;
        String relay = null;
        if (quote.hardware() == null) {
            if (request.shippingContactId() != null || request.shippingMethod() != null
                    || request.shippingRelayId() != null) {
                return Result.rejected(Refusal.invalid("shipping-without-box",
                        "shippingContactID, shippingMethod and shippingRelayID only apply when a box is ordered"));
            }
        } else {
            if (request.shippingContactId() == null) {
                return Result.rejected(Refusal.conflict("shipping-contact-required",
                        "a box needs a shipping contact: set shippingContactID to the account's default contact, "
                                + "a previous one, or a new one from POST /1.0/me/contact"));
            }
            Optional<Contact> found = contacts.apply(request.shippingContactId());
            if (found.isEmpty()) {
                return Result.rejected(Refusal.invalid("unknown-contact",
                        "shipping contact " + request.shippingContactId() + " does not exist"));
            }
            contact = found.get();
            if (request.shippingMethod() == null) {
                method = ShippingMethod.DHL;
            } else {
                Optional<ShippingMethod> parsed = ShippingMethod.fromWire(request.shippingMethod());
                if (parsed.isEmpty()) {
                    return Result.rejected(Refusal.invalid("unknown-shipping-method",
                            "shippingMethod must be dhl or mondialRelay, got '"
                            + request.shippingMethod() + "'"));
                }
                method = parsed.get();
            }
            boolean relayGiven = request.shippingRelayId() != null && !request.shippingRelayId().isBlank();
            if (method.needsRelay() && !relayGiven) {
                return Result.rejected(Refusal.conflict("relay-required",
                        "shipping by mondialRelay needs shippingRelayID, the relay point"));
            }
            if (!method.needsRelay() && relayGiven) {
                return Result.rejected(Refusal.invalid("relay-not-applicable",
                        "shippingRelayID only applies to mondialRelay, not "
                        + method.wireName()));
            }
            relay = relayGiven ? request.shippingRelayId().strip() : null;
        }
        List<String> missing = quote.contracts().stream().map(Contract::name)
                .filter(name -> !request.acceptedContracts().contains(name)).toList();
        if (!missing.isEmpty()) {
            return Result.rejected(Refusal.conflict("contracts-not-accepted", "contracts not accepted: "
                    + String.join(", ", missing) + "; every contract of the quote must be in acceptedContracts")
                    .with("missingContracts", missing));
        }
        return Result.accepted(new ValidatedChange(quote, contact, method, relay));
    }

    /** The device model a box of the catalog ships as, or null when the catalog does not know the box. */
    public String hardwareModel(String hardwareName) {
        return catalog.hardware(hardwareName).map(HardwareTerms::model).orElse(null);
    }

    private Result<OfferTerms> checkService(ServiceView service) {
        if (!service.active()) {
            return Result.rejected(Refusal.conflict("service-not-active",
                    "service " + service.serviceName() + " is " + service.status()
                    + "; only an active service can change offer"));
        }
        Optional<OfferTerms> current = catalog.offer(service.offer());
        if (current.isEmpty()) {
            return Result.rejected(Refusal.conflict("unknown-current-offer",
                    "service " + service.serviceName() + " has offer "
                    + service.offer() + ", which the catalog does not know; an operator must fix the catalog"));
        }
        return Result.accepted(current.get());
    }

    private String orderableNames() {
        return catalog.offers().stream().filter(o -> !o.legacy()).map(OfferTerms::name)
                .collect(Collectors.joining(", "));
    }
}
