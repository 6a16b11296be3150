package net.otb.agent.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * Every command the backend runs, in one place: the layout it builds is
 *
 * <pre>
 *   IFACE egress : root htb 1: (default 10) → class 1:10 (upKbps)   → leaf 10:
 *   IFACE ingress: qdisc ffff: → u32 match-all → mirred egress redirect → IFB
 *   IFB egress   : root htb 1: (default 10) → class 1:10 (downKbps) → leaf 10:
 * </pre>
 *
 * The redirect uses u32 rather than matchall because every kernel with HTB and IFB has u32 (OpenWrt's
 * kmod-sched-core, minimal server kernels) while matchall is often left out.
 *
 * @param iface the shaped interface (the tunnel or the WAN)
 * @param ifb the IFB device that carries the interface's ingress
 */
record TcCommands(String iface, String ifb) {

    static final String ROOT_HANDLE = "1:";
    static final String CLASS_ID = "1:10";
    static final String LEAF_HANDLE = "10:";
    static final String INGRESS_HANDLE = "ffff:";

    // ---- reads: JSON where the tool has it

    List<String> showLinks() {
        return List.of("ip", "-d", "-j", "link", "show");
    }

    List<String> showQdiscs(String dev) {
        return List.of("tc", "-j", "qdisc", "show", "dev", dev);
    }

    List<String> showClasses(String dev) {
        return List.of("tc", "-j", "class", "show", "dev", dev);
    }

    List<String> showIngressFilters() {
        return List.of("tc", "-j", "filter", "show", "dev", iface, "ingress");
    }

    // ---- the IFB device

    List<String> addIfb() {
        return List.of("ip", "link", "add", "name", ifb, "type", "ifb");
    }

    List<String> ifbUp() {
        return List.of("ip", "link", "set", "dev", ifb, "up");
    }

    List<String> deleteIfb() {
        return List.of("ip", "link", "del", "dev", ifb);
    }

    // ---- HTB on a device's egress

    List<String> addRootHtb(String dev) {
        return List.of("tc", "qdisc", "add", "dev", dev, "root", "handle", ROOT_HANDLE, "htb", "default", "10");
    }

    List<String> addClass(String dev, HtbRate rate) {
        return classCommand("add", dev, rate);
    }

    List<String> changeClass(String dev, HtbRate rate) {
        return classCommand("change", dev, rate);
    }

    private static List<String> classCommand(String verb, String dev, HtbRate rate) {
        List<String> argv = new ArrayList<>(List.of("tc", "class", verb, "dev", dev, "parent", ROOT_HANDLE,
                "classid", CLASS_ID, "htb"));
        argv.addAll(rate.classOptions());
        return List.copyOf(argv);
    }

    List<String> addLeaf(String dev, LeafQdisc leaf) {
        List<String> argv = new ArrayList<>(List.of("tc", "qdisc", "add", "dev", dev, "parent", CLASS_ID,
                "handle", LEAF_HANDLE));
        argv.addAll(leaf.qdiscArguments());
        return List.copyOf(argv);
    }

    List<String> deleteRoot(String dev) {
        return List.of("tc", "qdisc", "del", "dev", dev, "root");
    }

    // ---- the download redirect

    List<String> addIngress() {
        return List.of("tc", "qdisc", "add", "dev", iface, "handle", INGRESS_HANDLE, "ingress");
    }

    List<String> addRedirect() {
        return List.of("tc", "filter", "add", "dev", iface, "parent", INGRESS_HANDLE, "protocol", "all",
                "prio", "10", "u32", "match", "u32", "0", "0",
                "action", "mirred", "egress", "redirect", "dev", ifb);
    }

    List<String> deleteIngress() {
        return List.of("tc", "qdisc", "del", "dev", iface, "ingress");
    }
}
