package net.otb.simulator.demo;

/** The demo could not complete; the message says which step and why. */
public final class DemoFailure extends Exception {

    public DemoFailure(String message) {
        super(message);
    }

    public DemoFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
