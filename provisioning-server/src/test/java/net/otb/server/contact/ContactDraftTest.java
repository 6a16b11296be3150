package net.otb.server.contact;

import static org.assertj.core.api.Assertions.assertThat;

import net.otb.server.order.Refusal;
import net.otb.server.order.Refusal.FieldError;
import net.otb.server.order.Result;
import org.junit.jupiter.api.Test;

class ContactDraftTest {

    @Test
    void aCompleteAddressIsAcceptedAndNormalised() {
        ContactDraft draft = new ContactDraft(" Ada Lovelace ", "1 rue de la Paix", "75002", "Paris", "fr",
                "+33 1 23 45 67 89", true);

        ContactDraft checked = draft.validate().value();

        assertThat(checked).isEqualTo(new ContactDraft("Ada Lovelace", "1 rue de la Paix", "75002", "Paris", "FR",
                "+33123456789", true));
    }

    @Test
    void everyMissingFieldIsNamed() {
        Result<ContactDraft> result = new ContactDraft(null, " ", "", null, null, null, false).validate();

        Refusal refusal = result.refusal();
        assertThat(refusal.kind()).isEqualTo(Refusal.Kind.INVALID);
        assertThat(refusal.fields()).extracting(FieldError::field)
                .containsExactlyInAnyOrder("name", "street", "postcode", "city", "country", "phone");
        assertThat(refusal.fields()).allSatisfy(e -> assertThat(e.detail()).endsWith("is required"));
        assertThat(refusal.reason()).contains("phone: phone is required");
    }

    @Test
    void malformedFieldsSayWhatIsExpected() {
        Refusal refusal = new ContactDraft("Ada", "1 rue de la Paix", "7500!", "Paris", "France", "0123", false)
                .validate().refusal();

        assertThat(refusal.fields()).containsExactlyInAnyOrder(
                new FieldError("postcode", "postcode must be 2-10 letters, digits, spaces or dashes, got '7500!'"),
                new FieldError("country", "country must be an ISO 3166 two-letter code such as FR, got 'France'"),
                new FieldError("phone", "phone must be in international form, e.g. +33123456789, got '0123'"));
    }

    @Test
    void overlongAndControlCharactersAreRefused() {
        Refusal refusal = new ContactDraft("A".repeat(101), "1 rue\u0000", "75002", "Paris", "FR", "+33123456789",
                false).validate().refusal();

        assertThat(refusal.fields()).extracting(FieldError::field).containsExactlyInAnyOrder("name", "street");
        assertThat(refusal.reason()).contains("at most 100 characters", "control characters");
    }

    @Test
    void theTrunkZeroAfterTheCountryCodeIsDroppedAndAFrenchNumberWithItIsRefused() {
        ContactDraft draft = new ContactDraft("Ada", "1 quai", "69002", "Lyon", "FR", "+33 (0)4 78 00 00 00", false)
                .validate().value();
        org.assertj.core.api.Assertions.assertThat(draft.phone()).isEqualTo("+33478000000");
        Refusal refusal = new ContactDraft("Ada", "1 quai", "69002", "Lyon", "FR", "+33 04 78 00 00 00", false)
                .validate().refusal();
        org.assertj.core.api.Assertions.assertThat(refusal.fields().toString()).contains("phone").contains("trunk 0");
    }

    @Test
    void frenchPostcodesAreFiveDigits() {
        for (String bad : new String[] {"ABCDE", "7500", "750021"}) {
            Refusal refusal = new ContactDraft("Ada", "1 rue", bad, "Paris", "FR", "+33123456789", false)
                    .validate().refusal();
            org.assertj.core.api.Assertions.assertThat(refusal).as(bad).isNotNull();
            org.assertj.core.api.Assertions.assertThat(refusal.fields().toString()).as(bad).contains("postcode");
        }
        org.assertj.core.api.Assertions.assertThat(new ContactDraft("Ada", "1 Dam", "1012 ab", "Amsterdam", "NL",
                "+31201234567", false).validate().value().postcode()).isEqualTo("1012 AB");
        org.assertj.core.api.Assertions.assertThat(new ContactDraft("Ada", "1 Main St", "SW1A 1AA", "London", "GB",
                "+442012345678", false).validate().isAccepted()).isTrue();
    }
}
