package net.otb.agent.tls;

import net.otb.protocol.pki.Credentials;

/** Credentials in a field. */
final class InMemoryCredentialStore implements CredentialStore {

    private volatile Credentials credentials;

    InMemoryCredentialStore(Credentials credentials) {
        if (credentials == null) {
            throw new IllegalArgumentException("credentials are required");
        }
        this.credentials = credentials;
    }

    @Override
    public Credentials current() {
        return credentials;
    }

    @Override
    public void replace(Credentials renewed) {
        this.credentials = renewed;
    }
}
