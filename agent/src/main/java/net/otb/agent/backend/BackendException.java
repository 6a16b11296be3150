package net.otb.agent.backend;

/** The box could not apply or clear a profile; the message is what the server shows an operator. */
public class BackendException extends Exception {

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
