package net.otb.agent.linux;

import java.io.IOException;
import java.util.List;

/**
 * Runs one program to completion. The backend drives the kernel only through this, so tests can record
 * the commands it would run, and a namespace or {@code sudo} prefix is the runner's business.
 */
public interface CommandRunner {

    /**
     * Runs {@code argv} and waits for it to exit.
     *
     * @return its exit code and output, whatever the exit code
     * @throws CommandTimeoutException when it did not exit in time; it has been killed
     * @throws IOException when it could not be started (not installed, not executable) or the wait was interrupted
     */
    CommandResult run(List<String> argv) throws IOException;
}
