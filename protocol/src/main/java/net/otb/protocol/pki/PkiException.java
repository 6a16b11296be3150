package net.otb.protocol.pki;

/** A PKI operation failed: a bad file, a bad request, or a crypto failure. The message says which and why. */
public class PkiException extends Exception {

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
