package net.otb.agent.linux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * How the {@code linux-tc} backend is configured. From the agent config (each {@code backend.<key>}):
 *
 * <table>
 *   <caption>options</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@code interface}</td><td>the interface to shape: the tunnel (e.g. {@code tun0}) or the WAN</td>
 *       <td>required</td></tr>
 *   <tr><td>{@code ifb}</td><td>the IFB device the backend creates for download</td>
 *       <td>{@code ifb4<interface>}, cut to 15 characters</td></tr>
 *   <tr><td>{@code leaf}</td><td>queue under each class, in order of preference</td>
 *       <td>{@code fq_codel,pfifo}</td></tr>
 *   <tr><td>{@code timeout-ms}</td><td>how long one {@code tc}/{@code ip} command may run</td><td>5000</td></tr>
 *   <tr><td>{@code netns}</td><td>run every command in that network namespace ({@code ip netns exec})</td>
 *       <td>none</td></tr>
 *   <tr><td>{@code model}, {@code firmware}</td><td>what the agent announces</td>
 *       <td>{@code v3}, {@code linux-<kernel>}</td></tr>
 * </table>
 *
 * @param interfaceName the shaped interface
 * @param ifbName the IFB device
 * @param leaves leaf qdiscs in order of preference, never empty
 * @param commandTimeout per command
 * @param netns the network namespace to run in, or {@code null}
 * @param model the box model announced
 * @param firmware the firmware announced
 */
public record LinuxTcSettings(String interfaceName, String ifbName, List<LeafQdisc> leaves, Duration commandTimeout,
                              String netns, String model, String firmware) {

    /** Linux interface names: at most 15 bytes, no '/', ':' or white space; we also keep out shell-ish signs. */
    private static final Pattern DEVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");
    private static final Pattern NETNS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
    private static final Set<String> KEYS = Set.of("interface", "ifb", "leaf", "timeout-ms", "netns", "model",
            "firmware");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public LinuxTcSettings {
        check(DEVICE, interfaceName, "interface");
        check(DEVICE, ifbName, "ifb");
        if (ifbName.equals(interfaceName)) {
            throw new IllegalArgumentException("backend.ifb: must differ from backend.interface (" + ifbName + ")");
        }
        leaves = List.copyOf(leaves);
        if (leaves.isEmpty()) {
            throw new IllegalArgumentException("backend.leaf: at least one of fq_codel, sfq, pfifo");
        }
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("backend.timeout-ms: must be positive");
        }
        if (netns != null) {
            check(NETNS, netns, "netns");
        }
        check(LABEL, model, "model");
        check(LABEL, firmware, "firmware");
    }

    /** Settings with the defaults for everything but the interface. */
    public static LinuxTcSettings forInterface(String interfaceName) {
        return fromOptions(Map.of("interface", interfaceName));
    }

    /**
     * Reads the {@code backend.*} options (prefix stripped).
     *
     * @throws IllegalArgumentException naming the option ({@code backend.<key>: …}) when one is missing or bad
     */
    public static LinuxTcSettings fromOptions(Map<String, String> options) {
        for (String key : options.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("backend." + key + ": unknown option of the linux-tc backend, "
                        + "expected one of " + new TreeSet<>(KEYS));
            }
        }
        String iface = options.get("interface");
        if (iface == null || iface.isBlank()) {
            throw new IllegalArgumentException("backend.interface: required, the interface to shape (tunnel or WAN)");
        }
        iface = iface.strip();
        String ifb = options.getOrDefault("ifb", defaultIfb(iface)).strip();
        List<LeafQdisc> leaves = new ArrayList<>();
        for (String kind : options.getOrDefault("leaf", "fq_codel,pfifo").split(",")) {
            try {
                leaves.add(LeafQdisc.ofKind(kind));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("backend.leaf: " + e.getMessage(), e);
            }
        }
        Duration timeout = DEFAULT_TIMEOUT;
        String millis = options.get("timeout-ms");
        if (millis != null) {
            try {
                timeout = Duration.ofMillis(Long.parseLong(millis.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("backend.timeout-ms: not a number of milliseconds: '" + millis + "'");
            }
        }
        String netns = options.get("netns");
        if (netns != null && netns.isBlank()) {
            netns = null;
        }
        String model = options.getOrDefault("model", "v3").strip();
        String firmware = options.getOrDefault("firmware",
                "linux-" + System.getProperty("os.version", "unknown")).strip();
        return new LinuxTcSettings(iface, ifb, leaves, timeout, netns == null ? null : netns.strip(), model, firmware);
    }

    /** {@code ifb4<interface>}, as OpenWrt's SQM names it, cut to the 15 characters Linux allows. */
    public static String defaultIfb(String iface) {
        String name = "ifb4" + iface;
        return name.length() > 15 ? name.substring(0, 15) : name;
    }

    /** Settings that run every command inside {@code namespace}. */
    public LinuxTcSettings inNamespace(String namespace) {
        return new LinuxTcSettings(interfaceName, ifbName, leaves, commandTimeout, namespace, model, firmware);
    }

    /** What the command runner puts in front of every command. */
    public List<String> commandPrefix() {
        return netns == null ? List.of() : List.of("ip", "netns", "exec", netns);
    }

    private static void check(Pattern pattern, String value, String key) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("backend." + key + ": '" + value + "' is not a valid name (expected "
                    + pattern.pattern() + ")");
        }
    }
}
