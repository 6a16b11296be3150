package net.otb.server;

/** The server cannot start: bad configuration, PKI, catalog, store or port. The message says which and why. */
public final class ServerStartException extends Exception {

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
