package net.otb.simulator.campaign;

/** The faults a campaign injects, counted by kind in its figures. */
public enum FaultKind {
    /** SIGKILL of the server process, restarted a few steps later on the same data and ports. */
    SERVER_KILL("server-kill"),
    /** SIGKILL of a child agent JVM, restarted a few steps later on the same folder. */
    AGENT_KILL("agent-kill"),
    /** An in-process box loses power in the middle of its next apply; powered on a few steps later. */
    BOX_CRASH("box-crash"),
    /** A box's link cut (connections refused) and restored a few steps later. */
    LINK_CUT("link-cut"),
    /** A box's live link dropped once; it reconnects at once. */
    LINK_DROP("link-drop"),
    /** The next applies of a box refused by its shaper. */
    APPLY_FAILURE("apply-failure"),
    /** A box's applies slowed down by up to 4 s (longer than the server's ack timeout). */
    SLOW_APPLY("slow-apply"),
    /** A box's link cut right after its next apply: the applied report and the confirm are lost. */
    LOST_CONFIRM("lost-confirm"),
    /** The campaign's PostgreSQL killed (immediate stop) and started again (PostgreSQL store only). */
    POSTGRES_RESTART("postgres-restart");

    private final String label;

    FaultKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
