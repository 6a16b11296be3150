package net.otb.server.contact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import net.otb.server.order.Refusal;
import net.otb.server.order.Refusal.FieldError;
import net.otb.server.order.Result;

/**
 * A delivery address as the order system sends it, not yet checked. {@link #validate()} checks every field and
 * names each bad one, so the customer can fix them all at once.
 *
 * @param makeDefault whether this address becomes the account's default contact
 */
public record ContactDraft(String name, String street, String postcode, String city, String country, String phone,
                           boolean makeDefault) {

    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());
    // a postcode is short and made of letters, digits, spaces and dashes in every country we ship to
    private static final Pattern POSTCODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 -]{1,9}");
    // E.164: a plus, then 8 to 15 digits; carriers need it to call for the delivery
    private static final Pattern PHONE = Pattern.compile("\\+[1-9][0-9]{7,14}");
    // a French number is +33 and 9 digits, the trunk 0 dropped (+33 4 78 00 00 00, not +33 04 78 00 00 00)
    private static final Pattern PHONE_FR = Pattern.compile("\\+33[1-9][0-9]{8}");
    // the "(0)" written after a country code is the national trunk prefix, not part of the number
    private static final Pattern TRUNK = Pattern.compile("^(\\+[0-9]{1,3})[ .-]*\\(0\\)");

    /** Postcode rules of the countries we ship to (others: the generic shape); the format a customer recognises. */
    private static final Map<String, Rule> POSTCODES = Map.of(
            "FR", new Rule("[0-9]{5}", "5 digits, e.g. 75002"),
            "MC", new Rule("980[0-9]{2}", "5 digits starting with 980, e.g. 98000"),
            "BE", new Rule("[1-9][0-9]{3}", "4 digits, e.g. 1000"),
            "LU", new Rule("[0-9]{4}", "4 digits, e.g. 1009"),
            "CH", new Rule("[1-9][0-9]{3}", "4 digits, e.g. 1201"),
            "DE", new Rule("[0-9]{5}", "5 digits, e.g. 10115"),
            "ES", new Rule("(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}", "5 digits, e.g. 28001"),
            "IT", new Rule("[0-9]{5}", "5 digits, e.g. 00184"),
            "NL", new Rule("[1-9][0-9]{3} ?[A-Z]{2}", "4 digits and 2 letters, e.g. 1012 AB"),
            "PT", new Rule("[1-9][0-9]{3}-[0-9]{3}", "4 digits, a dash and 3 digits, e.g. 1100-148"));

    private record Rule(String regex, String says) {
        boolean matches(String postcode) {
            return postcode.matches(regex);
        }
    }

    /** The checked contact, or every bad field with what is wrong with it. */
    public Result<ContactDraft> validate() {
        List<FieldError> errors = new ArrayList<>();
        text(errors, "name", name, 100);
        text(errors, "street", street, 200);
        text(errors, "city", city, 100);
        if (blank(postcode)) {
            errors.add(new FieldError("postcode", "postcode is required"));
        } else if (!POSTCODE.matcher(postcode.strip()).matches()) {
            errors.add(new FieldError("postcode", "postcode must be 2-10 letters, digits, spaces or dashes, got '"
                    + postcode + "'"));
        }
        String countryCode = blank(country) ? "" : country.strip().toUpperCase(Locale.ROOT);
        Rule rule = POSTCODES.get(countryCode);
        if (rule != null && !blank(postcode) && POSTCODE.matcher(postcode.strip()).matches()
                && !rule.matches(postcode.strip().toUpperCase(Locale.ROOT))) {
            errors.add(new FieldError("postcode", "a postcode in " + countryCode + " is " + rule.says() + ", got '"
                    + postcode + "'"));
        }
        if (blank(country)) {
            errors.add(new FieldError("country", "country is required"));
        } else if (!COUNTRIES.contains(country.strip().toUpperCase(Locale.ROOT))) {
            errors.add(new FieldError("country", "country must be an ISO 3166 two-letter code such as FR, got '"
                    + country + "'"));
        }
        String compactPhone = phone == null ? null
                : TRUNK.matcher(phone.strip()).replaceFirst("$1").replaceAll("[ .()-]", "");
        if (blank(phone)) {
            errors.add(new FieldError("phone", "phone is required"));
        } else if (!PHONE.matcher(compactPhone).matches()) {
            errors.add(new FieldError("phone", "phone must be in international form, e.g. +33123456789, got '"
                    + phone + "'"));
        } else if (compactPhone.startsWith("+33") && !PHONE_FR.matcher(compactPhone).matches()) {
            errors.add(new FieldError("phone", "a French phone is +33 and 9 digits without the trunk 0, e.g. "
                    + "+33478000000, got '" + phone + "'"));
        }
        if (!errors.isEmpty()) {
            return Result.rejected(Refusal.invalidFields(errors));
        }
        return Result.accepted(new ContactDraft(name.strip(), street.strip(), postcode.strip().toUpperCase(Locale.ROOT),
                city.strip(), country.strip().toUpperCase(Locale.ROOT), compactPhone, makeDefault));
    }

    private static void text(List<FieldError> errors, String field, String value, int max) {
        if (blank(value)) {
            errors.add(new FieldError(field, field + " is required"));
        } else if (value.strip().length() > max) {
            errors.add(new FieldError(field, field + " must be at most " + max + " characters"));
        } else if (value.chars().anyMatch(Character::isISOControl)) {
            errors.add(new FieldError(field, field + " must not contain control characters"));
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
