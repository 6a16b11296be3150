package net.otb.server.auth;

import net.otb.server.ServerContext;
import net.otb.server.api.ApiModule;
import net.otb.server.api.ApiResponse;
import net.otb.server.api.Router;

/** {@code GET /1.0/auth/time}: the server's time in epoch seconds, unsigned, from which clients sign. */
public final class AuthApi implements ApiModule {

    @Override
    public void register(Router router, ServerContext context) {
        router.plain("GET", "/1.0/auth/time", request -> ApiResponse.ok(context.clock().instant().getEpochSecond()));
    }
}
