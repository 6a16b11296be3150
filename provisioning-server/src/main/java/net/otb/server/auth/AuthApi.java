package net.otb.server.auth;

import net.otb.server.ServerContext;
import net.otb.server.api.ApiModule;
import net.otb.server.api.ApiResponse;
import net.otb.server.api.Problems;
import net.otb.server.api.Router;
import net.otb.server.store.Tx;

/**
 * {@code GET /1.0/auth/time}: the server's time in epoch seconds, unsigned, from which clients sign. It is the clock
 * the signature window is checked against: the real one, even when the server's business runs on a dev clock set to
 * another day ({@code --clock-start}), as TLS and the certificates do;
 * and {@code GET /1.0/auth/currentCredential}: the signed caller's own consumer key (application, role, rules, never a
 * secret), which any role may read, as on OVH's API (the console decides from its rules what to offer).
 */
public final class AuthApi implements ApiModule {

    private final java.time.Clock clock;

    public AuthApi(java.time.Clock clock) {
        this.clock = clock;
    }

    @Override
    public void register(Router router, ServerContext context) {
        router.plain("GET", "/1.0/auth/time", request -> ApiResponse.ok(clock.instant().getEpochSecond()));
        router.get("/1.0/auth/currentCredential", (request, tx) -> {
            Tx.Principal caller = tx.principal();
            if (caller == null) {
                // only a dispatcher built without the authenticator (routing tests) gets here unsigned
                throw Problems.unauthorized("NOT_CREDENTIAL", "You must login first: this server checks no signature, "
                        + "so there is no current credential");
            }
            return ApiResponse.ok(CredentialStore.current(tx, caller.consumer()).orElseThrow(() ->
                    Problems.forbidden("INVALID_CREDENTIAL", "This credential does not exist any more")));
        });
    }
}
