package net.otb.agent.linux;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A command runner that records every command and plays the part of {@code ip} and {@code tc} over an in-memory
 * model of links and qdiscs, answering reads the way iproute2 6.1 does (JSON, except text for classes). Tests
 * make given commands fail or hang.
 */
final class FakeKernel implements CommandRunner {

    private static final class Device {
        final String kind;
        boolean rootHtb;
        long classKbps;
        String leaf;
        boolean ingress;
        String redirectTo;

        Device(String kind) {
            this.kind = kind;
        }
    }

    private record Rule(Predicate<String> matches, int exitCode, String stderr, boolean timeout) {
    }

    private final Map<String, Device> links = new LinkedHashMap<>();
    private final List<List<String>> commands = new ArrayList<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<String> threads = new ArrayList<>();
    private Set<String> leafKinds = Set.of("fq_codel", "sfq", "pfifo");
    private boolean jsonClasses;

    FakeKernel(String... interfaces) {
        links.put("lo", new Device("loopback"));
        for (String name : interfaces) {
            links.put(name, new Device("veth"));
        }
    }

    /** The kernel knows only these leaf qdiscs. */
    FakeKernel leafKinds(String... kinds) {
        leafKinds = Set.of(kinds);
        return this;
    }

    /** Answers {@code tc -j class show} in JSON, as iproute2 ≥ 6.2 does. */
    FakeKernel jsonClasses() {
        jsonClasses = true;
        return this;
    }

    /** Commands that start with {@code prefix} fail with {@code stderr}, changing nothing. */
    synchronized FakeKernel failWhen(String prefix, String stderr) {
        rules.add(new Rule(line -> line.startsWith(prefix), 2, stderr, false));
        return this;
    }

    /** Commands that start with {@code prefix} hang until killed, changing nothing. */
    synchronized FakeKernel hangWhen(String prefix) {
        rules.add(new Rule(line -> line.startsWith(prefix), 0, "", true));
        return this;
    }

    synchronized void forgetCommands() {
        commands.clear();
        threads.clear();
    }

    /** Every command run, as one line each. */
    synchronized List<String> commands() {
        return commands.stream().map(argv -> String.join(" ", argv)).toList();
    }

    /** The commands that change something (reads use -j). */
    synchronized List<String> changes() {
        return commands.stream().filter(argv -> !argv.contains("-j")).map(argv -> String.join(" ", argv)).toList();
    }

    synchronized List<String> threads() {
        return List.copyOf(threads);
    }

    synchronized boolean hasLink(String name) {
        return links.containsKey(name);
    }

    /** Rate of class 1:10 on {@code dev}, 0 when none. */
    synchronized long classKbps(String dev) {
        Device d = links.get(dev);
        return d == null || !d.rootHtb ? 0 : d.classKbps;
    }

    synchronized boolean ingress(String dev) {
        Device d = links.get(dev);
        return d != null && d.ingress;
    }

    synchronized boolean rootHtb(String dev) {
        Device d = links.get(dev);
        return d != null && d.rootHtb;
    }

    @Override
    public synchronized CommandResult run(List<String> argv) throws IOException {
        commands.add(List.copyOf(argv));
        threads.add(Thread.currentThread().getName());
        String line = String.join(" ", argv);
        for (Rule rule : rules) {
            if (rule.matches.test(line)) {
                if (rule.timeout) {
                    throw new CommandTimeoutException(argv, Duration.ofMillis(500));
                }
                return CommandResult.failed(argv, rule.exitCode, rule.stderr + "\n");
            }
        }
        return execute(argv, line);
    }

    private CommandResult execute(List<String> argv, String line) {
        if (line.equals("ip -d -j link show")) {
            return CommandResult.ok(argv, linksJson());
        }
        if (argv.get(0).equals("ip")) {
            return ip(argv);
        }
        String dev = argv.get(argv.indexOf("dev") + 1);
        Device d = links.get(dev);
        if (d == null) {
            return CommandResult.failed(argv, 1, "Cannot find device \"" + dev + "\"\n");
        }
        if (line.startsWith("tc -j qdisc show")) {
            return CommandResult.ok(argv, qdiscsJson(dev, d));
        }
        if (line.startsWith("tc -j class show")) {
            return CommandResult.ok(argv, classes(dev, d));
        }
        if (line.startsWith("tc -j filter show")) {
            return CommandResult.ok(argv, d.redirectTo == null ? "[]" : filterJson(d.redirectTo));
        }
        if (line.startsWith("tc qdisc add dev " + dev + " root handle 1: htb")) {
            if (d.rootHtb) {
                return CommandResult.failed(argv, 2, "Error: Exclusivity flag on, cannot modify.\n");
            }
            d.rootHtb = true;
            return CommandResult.ok(argv, "");
        }
        if (line.startsWith("tc class add") || line.startsWith("tc class change")) {
            if (!d.rootHtb) {
                return CommandResult.failed(argv, 2, "Error: Specified qdisc not found.\n");
            }
            if (line.startsWith("tc class change") && d.classKbps == 0) {
                return CommandResult.failed(argv, 2, "Error: Specified class not found.\n");
            }
            String rate = argv.get(argv.indexOf("rate") + 1);
            d.classKbps = Long.parseLong(rate.substring(0, rate.length() - "kbit".length()));
            return CommandResult.ok(argv, "");
        }
        if (line.startsWith("tc qdisc add dev " + dev + " parent 1:10 handle 10:")) {
            String kind = argv.get(argv.indexOf("10:") + 1);
            if (!leafKinds.contains(kind)) {
                return CommandResult.failed(argv, 2, "Error: Specified qdisc kind is unknown.\n");
            }
            d.leaf = kind;
            return CommandResult.ok(argv, "");
        }
        if (line.equals("tc qdisc add dev " + dev + " handle ffff: ingress")) {
            if (d.ingress) {
                return CommandResult.failed(argv, 2, "Error: Exclusivity flag on, cannot modify.\n");
            }
            d.ingress = true;
            return CommandResult.ok(argv, "");
        }
        if (line.startsWith("tc filter add dev " + dev + " parent ffff:")) {
            String target = argv.get(argv.size() - 1);
            if (!d.ingress) {
                return CommandResult.failed(argv, 2, "Error: Parent Qdisc doesn't exists.\n");
            }
            if (!links.containsKey(target)) {
                return CommandResult.failed(argv, 1, "Cannot find device \"" + target + "\"\n");
            }
            d.redirectTo = target;
            return CommandResult.ok(argv, "");
        }
        if (line.equals("tc qdisc del dev " + dev + " root")) {
            if (!d.rootHtb) {
                return CommandResult.failed(argv, 2, "Error: Cannot delete qdisc with handle of zero.\n");
            }
            d.rootHtb = false;
            d.classKbps = 0;
            d.leaf = null;
            return CommandResult.ok(argv, "");
        }
        if (line.equals("tc qdisc del dev " + dev + " ingress")) {
            if (!d.ingress) {
                return CommandResult.failed(argv, 2, "Error: Cannot find specified qdisc on specified device.\n");
            }
            d.ingress = false;
            d.redirectTo = null;
            return CommandResult.ok(argv, "");
        }
        return CommandResult.failed(argv, 255, "fake kernel does not know '" + line + "'\n");
    }

    private CommandResult ip(List<String> argv) {
        String line = String.join(" ", argv);
        if (line.startsWith("ip link add name ")) {
            String name = argv.get(4);
            if (links.containsKey(name)) {
                return CommandResult.failed(argv, 2, "RTNETLINK answers: File exists\n");
            }
            links.put(name, new Device(argv.get(6)));
            return CommandResult.ok(argv, "");
        }
        String name = argv.get(4);
        if (!links.containsKey(name)) {
            return CommandResult.failed(argv, 1, "Cannot find device \"" + name + "\"\n");
        }
        if (line.startsWith("ip link set dev ")) {
            return CommandResult.ok(argv, "");
        }
        if (line.startsWith("ip link del dev ")) {
            links.remove(name);
            for (Device d : links.values()) {
                if (name.equals(d.redirectTo)) {
                    d.redirectTo = null;
                }
            }
            return CommandResult.ok(argv, "");
        }
        return CommandResult.failed(argv, 255, "fake kernel does not know '" + line + "'\n");
    }

    private String linksJson() {
        List<String> items = new ArrayList<>();
        int index = 1;
        for (Map.Entry<String, Device> link : links.entrySet()) {
            String info = link.getValue().kind.equals("loopback") ? ""
                    : ",\"linkinfo\":{\"info_kind\":\"" + link.getValue().kind + "\"}";
            items.add("{\"ifindex\":" + index++ + ",\"ifname\":\"" + link.getKey() + "\",\"mtu\":1500" + info + "}");
        }
        return "[" + String.join(",", items) + "]\n";
    }

    private static String qdiscsJson(String dev, Device d) {
        List<String> items = new ArrayList<>();
        if (d.rootHtb) {
            items.add("{\"kind\":\"htb\",\"handle\":\"1:\",\"dev\":\"" + dev + "\",\"root\":true,\"refcnt\":2,"
                    + "\"options\":{\"r2q\":10,\"default\":\"0x10\",\"direct_packets_stat\":0,\"direct_qlen\":1000}}");
            if (d.leaf != null) {
                items.add("{\"kind\":\"" + d.leaf + "\",\"handle\":\"10:\",\"dev\":\"" + dev
                        + "\",\"parent\":\"1:10\",\"options\":{}}");
            }
        } else {
            items.add("{\"kind\":\"noqueue\",\"handle\":\"0:\",\"dev\":\"" + dev + "\",\"root\":true,\"refcnt\":2,"
                    + "\"options\":{}}");
        }
        if (d.ingress) {
            items.add("{\"kind\":\"ingress\",\"handle\":\"ffff:\",\"dev\":\"" + dev
                    + "\",\"parent\":\"ffff:fff1\",\"options\":{}}");
        }
        return "[" + String.join(",", items) + "]\n";
    }

    private String classes(String dev, Device d) {
        if (!d.rootHtb || d.classKbps == 0) {
            return jsonClasses ? "[]\n" : "";
        }
        if (jsonClasses) {
            long bytes = d.classKbps * 1000 / 8;
            return "[{\"class\":\"htb\",\"handle\":\"1:10\",\"root\":true,\"leaf\":\"10:\",\"prio\":0,\"rate\":"
                    + bytes + ",\"ceil\":" + bytes + ",\"burst\":3200,\"cburst\":3200}]\n";
        }
        String rate = tcRate(d.classKbps * 1000);
        return "class htb 1:10 root leaf 10: prio 0 rate " + rate + " ceil " + rate + " burst 3200b cburst 3200b \n";
    }

    /** iproute2's rate printing: the largest decimal prefix that divides exactly (below 1000 of it). */
    static String tcRate(long bits) {
        String[] units = {"", "K", "M", "G", "T"};
        int i = 0;
        while (i < units.length - 1 && bits >= 1000 && !(bits % 1000 != 0 && bits < 1_000_000)) {
            bits /= 1000;
            i++;
        }
        return bits + units[i] + "bit";
    }

    private static String filterJson(String target) {
        return "[{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\",\"chain\":0},"
                + "{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\",\"chain\":0,"
                + "\"options\":{\"fh\":\"800:\",\"ht_divisor\":1}},"
                + "{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\",\"chain\":0,"
                + "\"options\":{\"fh\":\"800::800\",\"order\":2048,\"key_ht\":\"800\",\"bkt\":\"0\",\"not_in_hw\":true,"
                + "\"match\":{\"value\":\"0\",\"mask\":\"0\",\"offmask\":\"\",\"off\":0},"
                + "\"actions\":[{\"order\":1,\"kind\":\"mirred\",\"mirred_action\":\"redirect\",\"direction\":\"egress\","
                + "\"to_dev\":\"" + target + "\",\"control_action\":{\"type\":\"stolen\"},\"index\":1,\"ref\":1,"
                + "\"bind\":1}]}}]\n";
    }
}
