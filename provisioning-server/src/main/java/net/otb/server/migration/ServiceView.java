package net.otb.server.migration;

import java.util.Objects;

/**
 * What the offer change needs to know of a service at the moment a rule is checked.
 *
 * @param serviceName the service
 * @param offer its current offer
 * @param status its status; only {@code active} may change offer
 * @param openMigration whether a migration of this service is open (ordered, paid and awaiting the box)
 * @param openOrderId the order of that open migration, or null (none, or not known)
 */
public record ServiceView(String serviceName, String offer, String status, boolean openMigration, Long openOrderId) {

    public ServiceView(String serviceName, String offer, String status, boolean openMigration) {
        this(serviceName, offer, status, openMigration, null);
    }

    public static final String ACTIVE = "active";

    public ServiceView {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(status, "status");
    }

    public boolean active() {
        return ACTIVE.equals(status);
    }
}
