package net.otb.server.migration;

import java.net.URI;

/**
 * A contract the customer must accept to order an offer or a box.
 *
 * @param name the name the order system sends back in {@code acceptedContracts}
 * @param url where the customer reads it
 */
public record Contract(String name, String url) {

    public Contract {
        if (name == null || name.isBlank() || name.length() > 100) {
            throw new IllegalArgumentException("a contract needs a name of 1-100 characters");
        }
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("contract " + name + " needs a url");
        }
        URI parsed = URI.create(url);
        if (!"https".equals(parsed.getScheme()) && !"http".equals(parsed.getScheme())) {
            throw new IllegalArgumentException("contract " + name + " url must be http(s): " + url);
        }
    }
}
