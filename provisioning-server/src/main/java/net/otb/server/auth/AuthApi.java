package net.otb.server.auth;

import net.otb.server.ServerContext;
import net.otb.server.api.ApiModule;
import net.otb.server.api.ApiResponse;
import net.otb.server.api.Router;

/**
 * {@code GET /1.0/auth/time}: the server's time in epoch seconds, unsigned, from which clients sign. It is the clock
 * the signature window is checked against: the real one, even when the server's business runs on a dev clock set to
 * another day ({@code --clock-start}), as TLS and the certificates do.
 */
public final class AuthApi implements ApiModule {

    private final java.time.Clock clock;

    public AuthApi(java.time.Clock clock) {
        this.clock = clock;
    }

    @Override
    public void register(Router router, ServerContext context) {
        router.plain("GET", "/1.0/auth/time", request -> ApiResponse.ok(clock.instant().getEpochSecond()));
    }
}
