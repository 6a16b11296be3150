package net.otb.server.testing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import net.otb.server.ProvisioningServer;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.ApiSigner;
import net.otb.server.auth.Role;

/** Credentials of every role made in a test's server, and signers over them. */
public final class TestCredentials {

    private TestCredentials() {
    }

    /** One application and consumer key per role, in {@link Role} order. */
    public static List<ApiCredential> everyRole(ProvisioningServer server) {
        List<ApiCredential> credentials = new ArrayList<>();
        for (Role role : Role.values()) {
            credentials.add(server.createCredential("tests-" + role.wire(), role));
        }
        return credentials;
    }

    /** A signer that picks, for each call, the role whose rules grant it; on the server's clock. */
    public static ApiSigner signer(ProvisioningServer server, Clock clock) {
        return new ApiSigner(everyRole(server), clock);
    }
}
