package net.otb.simulator.fleet;

import java.security.SecureRandom;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.PkiException;

/** Issues a box's key and certificate (CN = serial) in memory, e.g. {@code DevPki::deviceCredentialsInMemory}. */
@FunctionalInterface
public interface CredentialIssuer {

    /**
     * @throws PkiException when the serial is refused
     */
    Credentials issue(String serial, SecureRandom random) throws PkiException;
}
