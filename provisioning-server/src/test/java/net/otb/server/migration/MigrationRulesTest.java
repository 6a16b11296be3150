package net.otb.server.migration;

import static net.otb.server.migration.DefaultTerms.BUSINESS;
import static net.otb.server.migration.DefaultTerms.BUSINESS_SLA;
import static net.otb.server.migration.DefaultTerms.CGV;
import static net.otb.server.migration.DefaultTerms.HARDWARE;
import static net.otb.server.migration.DefaultTerms.OTBV3;
import static net.otb.server.migration.DefaultTerms.STARTER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import net.otb.server.contact.Contact;
import net.otb.server.order.Money;
import net.otb.server.order.Refusal;
import net.otb.server.order.Result;
import org.junit.jupiter.api.Test;

class MigrationRulesTest {

    private static final Contact HOME = new Contact(7, "Ada Lovelace", "1 rue de la Paix", "75002", "Paris", "FR",
            "+33123456789", true, Instant.parse("2026-01-01T00:00:00Z"));
    private static final LongFunction<Optional<Contact>> CONTACTS = id -> id == 7 ? Optional.of(HOME) : Optional.empty();
    private static final List<String> ALL_CONTRACTS = List.of("cgv-otb", "sla-business", "cgv-hardware");

    private final MigrationRules rules = new MigrationRules(new DefaultTerms());

    private static ServiceView service(String offer) {
        return new ServiceView("otb-1", offer, "active", false);
    }

    private static void assertRefused(Result<?> result, Refusal.Kind kind, String... words) {
        assertThat(result.isAccepted()).as("refused").isFalse();
        assertThat(result.refusal().kind()).isEqualTo(kind);
        assertThat(result.refusal().reason()).contains(words);
    }

    @Test
    void starterMayMoveToBusinessWithOrWithoutABoxAndToStarterOnlyWithABox() {
        EligibleOffers eligible = rules.eligibleOffers(service("starter.v1")).value();

        assertThat(eligible.current()).isEqualTo(STARTER);
        assertThat(eligible.targets()).extracting(t -> t.offer().name(), EligibleOffers.Target::hardwareRequired)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("starter.v1", true),
                        org.assertj.core.groups.Tuple.tuple("business.v1", false));
        assertThat(eligible.targets()).allSatisfy(t -> assertThat(t.hardwares()).containsExactly(OTBV3));
    }

    @Test
    void aLegacyOfferShowsAsCurrentButNeverAsATarget() {
        EligibleOffers eligible = rules.eligibleOffers(service("plus.v1")).value();

        assertThat(eligible.current().name()).isEqualTo("plus.v1");
        assertThat(eligible.current().legacy()).isTrue();
        assertThat(eligible.targets()).extracting(t -> t.offer().name()).containsExactly("starter.v1", "business.v1");
        assertThat(eligible.targets()).noneMatch(EligibleOffers.Target::hardwareRequired);
    }

    @Test
    void anInactiveServiceIsRefusedWithItsStatus() {
        ServiceView suspended = new ServiceView("otb-1", "starter.v1", "suspended", false);

        assertRefused(rules.eligibleOffers(suspended), Refusal.Kind.CONFLICT, "otb-1 is suspended", "active");
        assertRefused(rules.quote(suspended, "business.v1", null), Refusal.Kind.CONFLICT, "suspended");
        assertRefused(rules.validate(suspended, new ChangeRequest("business.v1", null, null, null, null,
                ALL_CONTRACTS), CONTACTS), Refusal.Kind.CONFLICT, "suspended");
    }

    @Test
    void quoteWithoutABoxIsTheNewMonthlyPriceAndTheOfferContracts() {
        Quote quote = rules.quote(service("starter.v1"), "business.v1", null).value();

        assertThat(quote.monthly()).isEqualTo(Money.cents(3999));
        assertThat(quote.hardwarePrice()).isEqualTo(Money.ZERO);
        assertThat(quote.firstPayment()).isEqualTo(Money.cents(3999));
        assertThat(quote.currentMonthly()).isEqualTo(Money.cents(1999));
        assertThat(quote.fromOffer()).isEqualTo("starter.v1");
        assertThat(quote.contracts()).containsExactly(CGV, BUSINESS_SLA);
    }

    @Test
    void quoteWithABoxAddsTheBoxPriceAndItsContractsOnce() {
        Quote quote = rules.quote(service("business.v1"), "starter.v1", "otbv3").value();

        assertThat(quote.offer()).isEqualTo(STARTER);
        assertThat(quote.hardwarePrice()).isEqualTo(Money.cents(24999));
        assertThat(quote.firstPayment()).isEqualTo(Money.cents(1999 + 24999));
        assertThat(quote.contracts()).containsExactly(CGV, HARDWARE);
    }

    @Test
    void theSameOfferIsQuotedOnlyWithABox() {
        assertRefused(rules.quote(service("business.v1"), "business.v1", null), Refusal.Kind.CONFLICT,
                "already has offer business.v1", "only be ordered with a box");

        Quote withBox = rules.quote(service("business.v1"), "business.v1", "otbv3").value();
        assertThat(withBox.firstPayment()).isEqualTo(Money.cents(3999 + 24999));
    }

    @Test
    void aLegacyTargetAnUnknownOfferAndAnUnknownBoxAreRefused() {
        assertRefused(rules.quote(service("starter.v1"), "plus.v1", null), Refusal.Kind.CONFLICT,
                "plus.v1 is a legacy offer", "starter.v1, business.v1");
        assertRefused(rules.quote(service("starter.v1"), "gold.v9", null), Refusal.Kind.INVALID,
                "'gold.v9' is not in the catalog");
        assertRefused(rules.quote(service("starter.v1"), null, null), Refusal.Kind.INVALID, "offer is required");
        assertRefused(rules.quote(service("starter.v1"), "business.v1", "otbv9"), Refusal.Kind.INVALID,
                "hardware 'otbv9'", "otbv3");
    }

    @Test
    void aServiceWithAnOpenMigrationGetsNoQuote() {
        assertRefused(rules.quote(new ServiceView("otb-1", "starter.v1", "active", true), "business.v1", null),
                Refusal.Kind.CONFLICT, "already has an open migration");
    }

    @Test
    void changeWithoutABoxNeedsEveryContractOfTheQuote() {
        Result<ValidatedChange> missing = rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", null, null, null, null, List.of("cgv-otb")), CONTACTS);
        assertRefused(missing, Refusal.Kind.CONFLICT, "contracts not accepted: sla-business");

        Result<ValidatedChange> none = rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", null, null, null, null, null), CONTACTS);
        assertRefused(none, Refusal.Kind.CONFLICT, "cgv-otb, sla-business");

        ValidatedChange ok = rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", null, null, null, null, List.of("sla-business", "cgv-otb")),
                CONTACTS).value();
        assertThat(ok.withHardware()).isFalse();
        assertThat(ok.quote().firstPayment()).isEqualTo(Money.cents(3999));
        assertThat(ok.shippingContact()).isNull();
    }

    @Test
    void aBoxNeedsAShippingContactThatExists() {
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", null, "dhl", null, ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.CONFLICT, "a box needs a shipping contact");
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 99L, "dhl", null, ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.INVALID, "shipping contact 99 does not exist");
    }

    @Test
    void mondialRelayNeedsARelayAndDhlDoesNot() {
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "mondialRelay", null, ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.CONFLICT, "mondialRelay needs shippingRelayID");
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "mondialRelay", "  ", ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.CONFLICT, "mondialRelay needs shippingRelayID");

        ValidatedChange relay = rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "mondialRelay", "FR-012345", ALL_CONTRACTS),
                CONTACTS).value();
        assertThat(relay.shippingMethod()).isEqualTo(ShippingMethod.MONDIAL_RELAY);
        assertThat(relay.shippingRelayId()).isEqualTo("FR-012345");

        ValidatedChange dhl = rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "dhl", null, ALL_CONTRACTS), CONTACTS).value();
        assertThat(dhl.shippingMethod()).isEqualTo(ShippingMethod.DHL);
        assertThat(dhl.shippingContact()).isEqualTo(HOME);
        assertThat(dhl.quote().firstPayment()).isEqualTo(Money.cents(3999 + 24999));
    }

    @Test
    void aBoxWithoutAShippingMethodGoesByDhlAndAnUnknownMethodIsRefused() {
        assertThat(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, null, null, ALL_CONTRACTS), CONTACTS).value()
                .shippingMethod()).isEqualTo(ShippingMethod.DHL);
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "pigeon", null, ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.INVALID, "dhl or mondialRelay", "pigeon");
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "dhl", "FR-1", ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.INVALID, "only applies to mondialRelay");
    }

    @Test
    void shippingFieldsWithoutABoxAreRefusedRatherThanIgnored() {
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", null, 7L, null, null, ALL_CONTRACTS), CONTACTS),
                Refusal.Kind.INVALID, "only apply when a box is ordered");
    }

    @Test
    void theBoxContractsMustBeAcceptedToo() {
        assertRefused(rules.validate(service("starter.v1"),
                new ChangeRequest("business.v1", "otbv3", 7L, "dhl", null, List.of("cgv-otb", "sla-business")),
                CONTACTS), Refusal.Kind.CONFLICT, "contracts not accepted: cgv-hardware");
    }

    @Test
    void aServiceOnAnOfferTheCatalogDoesNotKnowIsRefusedClearly() {
        assertRefused(rules.eligibleOffers(service("ghost.v0")), Refusal.Kind.CONFLICT, "ghost.v0",
                "catalog does not know");
    }

    @Test
    void businessToStarterQuoteUsesTheBusinessPriceAsTheRefundBasis() {
        Quote quote = rules.quote(service("business.v1"), "starter.v1", null).value();
        assertThat(quote.currentMonthly()).isEqualTo(BUSINESS.monthly());
        assertThat(quote.firstPayment()).isEqualTo(STARTER.monthly());
    }
}
