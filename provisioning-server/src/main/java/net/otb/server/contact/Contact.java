package net.otb.server.contact;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored delivery address. Contacts are never edited in place: an order keeps pointing at the address the
 * box was shipped to.
 *
 * @param id the store's id, the {@code shippingContactID} of the API
 * @param isDefault whether it is the account's default contact
 */
public record Contact(long id, String name, String street, String postcode, String city, String country,
                      String phone, boolean isDefault, Instant createdAt) {

    public Contact {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be positive, got " + id);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(street, "street");
        Objects.requireNonNull(postcode, "postcode");
        Objects.requireNonNull(city, "city");
        Objects.requireNonNull(country, "country");
        Objects.requireNonNull(phone, "phone");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
