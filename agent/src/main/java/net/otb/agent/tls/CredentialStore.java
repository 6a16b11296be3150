package net.otb.agent.tls;

import java.io.IOException;
import java.nio.file.Path;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.PkiException;

/** The box's key and certificate chain, and where a renewed pair goes. */
public interface CredentialStore {

    /** The credentials to present on the next connection. */
    Credentials current();

    /**
     * Makes {@code renewed} the credentials of every later connection, at once: key and chain never mismatch.
     *
     * @throws IOException when they cannot be stored; the current ones then stay
     */
    void replace(Credentials renewed) throws IOException;

    /** Credentials held in memory only (simulated boxes, tests); a renewal lasts until the JVM ends. */
    static CredentialStore inMemory(Credentials credentials) {
        return new InMemoryCredentialStore(credentials);
    }

    /**
     * The factory key and chain from files, superseded by the renewed pair kept in {@code stateDirectory}
     * ({@value FileCredentialStore#RENEWED_FILE}) when there is a valid one.
     *
     * @throws PkiException naming the file that is missing, unreadable or does not match its key
     */
    static CredentialStore files(Path keyFile, Path chainFile, Path stateDirectory) throws PkiException {
        return FileCredentialStore.open(keyFile, chainFile, stateDirectory);
    }
}
