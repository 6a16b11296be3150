package net.otb.agent.linux;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** A command did not finish in time and was killed; whether it took effect is unknown. */
public class CommandTimeoutException extends IOException {

    private final List<String> argv;
    private final Duration timeout;

    public CommandTimeoutException(List<String> argv, Duration timeout) {
        super("'" + String.join(" ", argv) + "' did not finish within " + timeout.toMillis() + " ms and was killed");
        this.argv = List.copyOf(argv);
        this.timeout = timeout;
    }

    public List<String> argv() {
        return argv;
    }

    public Duration timeout() {
        return timeout;
    }
}
