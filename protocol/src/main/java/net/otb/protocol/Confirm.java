package net.otb.protocol;

/** Server → agent: the applied generation is committed; the agent drops its rollback timer. */
public record Confirm(long generation) implements Message {

    public static final String TYPE = "confirm";

    public Confirm {
        Checks.positive(generation, "generation");
    }

    @Override
    public String type() {
        return TYPE;
    }
}
