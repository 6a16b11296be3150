package net.otb.agent.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The queue under each HTB class. fq_codel keeps latency low under load (what SQM does on OpenWrt); a kernel
 * built without it falls back to the next one in the configured order.
 */
public enum LeafQdisc {

    FQ_CODEL("fq_codel"),
    SFQ("sfq", "perturb", "10"),
    /** A plain FIFO long enough for a gigabit burst; every kernel with HTB has it. */
    PFIFO("pfifo", "limit", "1000");

    private final String kind;
    private final List<String> arguments;

    LeafQdisc(String kind, String... options) {
        this.kind = kind;
        this.arguments = List.of(options);
    }

    /** The kind as tc names it and prints it. */
    public String kind() {
        return kind;
    }

    List<String> qdiscArguments() {
        List<String> all = new ArrayList<>();
        all.add(kind);
        all.addAll(arguments);
        return List.copyOf(all);
    }

    /**
     * The leaf called {@code kind}.
     *
     * @throws IllegalArgumentException when it is none of fq_codel, sfq, pfifo
     */
    public static LeafQdisc ofKind(String kind) {
        String wanted = kind.strip().toLowerCase(Locale.ROOT);
        for (LeafQdisc leaf : values()) {
            if (leaf.kind.equals(wanted)) {
                return leaf;
            }
        }
        throw new IllegalArgumentException("unknown leaf qdisc '" + kind + "', expected fq_codel, sfq or pfifo");
    }
}
