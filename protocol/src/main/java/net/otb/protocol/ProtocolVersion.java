package net.otb.protocol;

import java.util.List;
import java.util.OptionalInt;

/** The protocol versions this build speaks, and the negotiation rule: the highest version both speak. */
public final class ProtocolVersion {

    /** The versions this build speaks, oldest first. */
    public static final List<Integer> SUPPORTED = List.of(1);

    /** The version this build prefers. */
    public static final int CURRENT = 1;

    private ProtocolVersion() {
    }

    /** The highest version in both {@code offered} and {@link #SUPPORTED}, or empty when there is none. */
    public static OptionalInt negotiate(List<Integer> offered) {
        return offered.stream().filter(SUPPORTED::contains).mapToInt(Integer::intValue).max();
    }
}
