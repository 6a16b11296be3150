package net.otb.server.api;

import net.otb.server.ServerContext;

/**
 * A group of routes. {@code ProvisioningServer} registers its own modules, those given to its builder,
 * and those found by {@link java.util.ServiceLoader} ({@code META-INF/services/net.otb.server.api.ApiModule};
 * implementations then need a public no-argument constructor).
 */
public interface ApiModule {

    /**
     * Adds this module's routes; called once, before the HTTP port opens.
     *
     * @param router where routes go
     * @param context the server's store, clock, catalog and domain services
     */
    void register(Router router, ServerContext context);
}
