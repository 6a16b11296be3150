package net.otb.protocol;

/** Server → agent: the box was replaced; clear the shaping and stop. */
public record Decommission(String reason) implements Message {

    public static final String TYPE = "decommission";

    public Decommission {
        Checks.notBlank(reason, "reason", 1_024);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
