package net.otb.server.contact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
        if (blank(country)) {
            errors.add(new FieldError("country", "country is required"));
        } else if (!COUNTRIES.contains(country.strip().toUpperCase(Locale.ROOT))) {
            errors.add(new FieldError("country", "country must be an ISO 3166 two-letter code such as FR, got '"
                    + country + "'"));
        }
        String compactPhone = phone == null ? null : phone.replaceAll("[ .()-]", "");
        if (blank(phone)) {
            errors.add(new FieldError("phone", "phone is required"));
        } else if (!PHONE.matcher(compactPhone).matches()) {
            errors.add(new FieldError("phone", "phone must be in international form, e.g. +33123456789, got '"
                    + phone + "'"));
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
