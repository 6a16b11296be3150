package net.otb.agent.config;

/** A configuration the agent cannot run with; the message names the file and the field. */
public final class ConfigException extends Exception {

    private final String field;

    public ConfigException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public ConfigException(String field, String message, Throwable cause) {
        super(field + ": " + message, cause);
        this.field = field;
    }

    /** The config key at fault. */
    public String field() {
        return field;
    }
}
