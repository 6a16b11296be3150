package net.otb.agent.linux;

import java.util.List;
import java.util.Objects;

/**
 * What a finished program did.
 *
 * @param argv the command as the backend asked for it (without any runner prefix)
 * @param exitCode its exit status, 0 on success
 * @param stdout what it printed
 * @param stderr what it complained
 */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {

    public CommandResult {
        argv = List.copyOf(argv);
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }

    public static CommandResult ok(List<String> argv, String stdout) {
        return new CommandResult(argv, 0, stdout, "");
    }

    public static CommandResult failed(List<String> argv, int exitCode, String stderr) {
        return new CommandResult(argv, exitCode, "", stderr);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** The command line and the tool's own words, as an operator needs them to act: one line. */
    public String failureMessage() {
        String said = stderr.isBlank() ? stdout : stderr;
        said = said.strip().replaceAll("\\s*\\R\\s*", "; ");
        if (said.length() > 300) {
            said = said.substring(0, 300) + "…";
        }
        return "'" + String.join(" ", argv) + "' exited " + exitCode + (said.isEmpty() ? "" : ": " + said);
    }
}
