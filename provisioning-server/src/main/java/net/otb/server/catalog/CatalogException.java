package net.otb.server.catalog;

/** A catalog file that cannot be used, with the reason and, when known, the faulty field's path. */
public final class CatalogException extends RuntimeException {

    public CatalogException(String message) {
        super(message);
    }
}
