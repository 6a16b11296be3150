package net.otb.agent.linux;

/**
 * The shaping the kernel has, as read back with {@code ip -j} and {@code tc -j}: which parts of the backend's
 * layout (see {@link TcCommands}) exist and at what rates.
 *
 * @param interfacePresent whether the shaped interface exists
 * @param upload the HTB on the interface's egress, or {@code null} when its root qdisc is not our {@code htb 1:}
 * @param ingress whether the interface has an {@code ingress} qdisc
 * @param redirectTo the device its ingress filters redirect to, or {@code null}
 * @param ifbPresent whether the IFB device exists
 * @param download the HTB on the IFB's egress, or {@code null}
 */
public record TcState(boolean interfacePresent, Htb upload, boolean ingress, String redirectTo, boolean ifbPresent,
                      Htb download) {

    /**
     * An HTB root with its one class.
     *
     * @param classKbps the rate of class {@code 1:10}, 0 when the class is missing
     * @param ceilKbps its ceil, 0 when missing
     * @param leaf the kind of the qdisc under it, or {@code null}
     */
    public record Htb(long classKbps, long ceilKbps, String leaf) {

        boolean shaping() {
            return classKbps > 0;
        }
    }

    /** Nothing of the layout exists (the interface may or may not). */
    public static TcState unshaped(boolean interfacePresent) {
        return new TcState(interfacePresent, null, false, null, false, null);
    }

    /** Whether every part of the layout is there, so rates can be changed in place. */
    public boolean complete(String ifb) {
        return interfacePresent && upload != null && upload.shaping() && ingress && ifb.equals(redirectTo)
                && ifbPresent && download != null && download.shaping();
    }

    /** Whether no part of the layout is there. */
    public boolean empty() {
        return upload == null && !ingress && !ifbPresent;
    }

    /** The download rate in force, 0 unless the whole layout is there. */
    public long downKbps(String ifb) {
        return complete(ifb) ? download.classKbps() : 0;
    }

    /** The upload rate in force, 0 unless the whole layout is there. */
    public long upKbps(String ifb) {
        return complete(ifb) ? upload.classKbps() : 0;
    }

    /** One word for operators: shaped, unshaped, partial or no-interface. */
    public String summary(String ifb) {
        if (!interfacePresent) {
            return "no-interface";
        }
        if (complete(ifb)) {
            return "shaped";
        }
        return empty() ? "unshaped" : "partial";
    }

    @Override
    public String toString() {
        return "interface " + (interfacePresent ? "present" : "missing")
                + ", upload " + (upload == null ? "none" : upload.classKbps() + " kbit/s (" + upload.leaf() + ")")
                + ", ingress " + (ingress ? "redirect to " + redirectTo : "none")
                + ", ifb " + (ifbPresent ? "present" : "missing")
                + ", download " + (download == null ? "none"
                        : download.classKbps() + " kbit/s (" + download.leaf() + ")");
    }
}
