package net.otb.agent.linux;

import static net.otb.agent.linux.JsonTree.integer;
import static net.otb.agent.linux.JsonTree.isTrue;
import static net.otb.agent.linux.JsonTree.items;
import static net.otb.agent.linux.JsonTree.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.agent.backend.BackendException;

/**
 * Reads the shaping in force back from the kernel. Links, qdiscs and filters come as JSON ({@code -j});
 * classes too on iproute2 ≥ 6.2, whereas older {@code tc} (6.1 in Debian 12, what OpenWrt 23.05 ships is
 * similar) ignores {@code -j} for {@code class show} and prints text, so that one listing is read either way.
 * The JSON is read into plain maps and lists ({@link JsonTree}) and fields are looked up by name: a missing or
 * oddly typed field reads as absent, so a tool that adds or reshapes fields we do not use changes nothing.
 */
final class TcReader {

    /** tc prints rates in bit/s with decimal (or, with -iec, binary) prefixes: 20Mbit, 20500Kbit, 2Gbit. */
    private static final Pattern TEXT_RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)([KMGT]?)(i?)bit");

    private final CommandRunner runner;
    private final TcCommands commands;

    TcReader(CommandRunner runner, TcCommands commands) {
        this.runner = runner;
        this.commands = commands;
    }

    /**
     * Reads the state of the interface and the IFB.
     *
     * @throws BackendException when a tool cannot be run or says something unreadable, or the IFB name is taken
     *         by a device that is not an IFB
     */
    TcState read() throws BackendException {
        boolean interfacePresent = false;
        boolean ifbPresent = false;
        for (Object link : readJson(commands.showLinks())) {
            String name = text(link, "ifname");
            if (commands.iface().equals(name)) {
                interfacePresent = true;
            }
            if (commands.ifb().equals(name)) {
                String kind = text(link, "linkinfo", "info_kind");
                if (!"ifb".equals(kind)) {
                    String found = kind == null || kind.isEmpty() ? "no kind" : kind;
                    throw new BackendException("device " + commands.ifb() + " exists and is not an IFB device ("
                            + found + "); choose another backend.ifb name");
                }
                ifbPresent = true;
            }
        }
        if (!interfacePresent) {
            return new TcState(false, null, false, null, ifbPresent,
                    ifbPresent ? readHtb(commands.ifb()) : null);
        }
        List<?> qdiscs = readJson(commands.showQdiscs(commands.iface()));
        boolean ingress = false;
        for (Object qdisc : qdiscs) {
            if ("ingress".equals(text(qdisc, "kind"))) {
                ingress = true;
            }
        }
        String redirectTo = ingress ? readRedirect() : null;
        TcState.Htb upload = hasOurRoot(qdiscs) ? classOf(commands.iface(), qdiscs) : null;
        TcState.Htb download = ifbPresent ? readHtb(commands.ifb()) : null;
        return new TcState(true, upload, ingress, redirectTo, ifbPresent, download);
    }

    private TcState.Htb readHtb(String dev) throws BackendException {
        List<?> qdiscs = readJson(commands.showQdiscs(dev));
        return hasOurRoot(qdiscs) ? classOf(dev, qdiscs) : null;
    }

    private static boolean hasOurRoot(List<?> qdiscs) {
        for (Object qdisc : qdiscs) {
            if (isTrue(qdisc, "root") && "htb".equals(text(qdisc, "kind"))
                    && TcCommands.ROOT_HANDLE.equals(text(qdisc, "handle"))) {
                return true;
            }
        }
        return false;
    }

    private TcState.Htb classOf(String dev, List<?> qdiscs) throws BackendException {
        String leaf = null;
        for (Object qdisc : qdiscs) {
            if (TcCommands.CLASS_ID.equals(text(qdisc, "parent"))) {
                leaf = text(qdisc, "kind");
            }
        }
        CommandResult classes = runRead(commands.showClasses(dev));
        long[] rates = parseClassRates(classes);
        return new TcState.Htb(rates[0], rates[1], leaf);
    }

    private String readRedirect() throws BackendException {
        for (Object filter : readJson(commands.showIngressFilters())) {
            for (Object action : items(filter, "options", "actions")) {
                if ("mirred".equals(text(action, "kind")) && "redirect".equals(text(action, "mirred_action"))
                        && "egress".equals(text(action, "direction"))) {
                    return text(action, "to_dev");
                }
            }
        }
        return null;
    }

    /** Rate and ceil of class 1:10 in kbit/s, {0, 0} when absent; JSON (iproute2 ≥ 6.2) or text. */
    long[] parseClassRates(CommandResult result) throws BackendException {
        String out = result.stdout().strip();
        if (out.isEmpty()) {
            return new long[] {0, 0};
        }
        if (out.startsWith("[")) {
            for (Object c : parse(result)) {
                if (TcCommands.CLASS_ID.equals(text(c, "handle")) && "htb".equals(text(c, "class"))) {
                    // JSON rates are bytes per second
                    return new long[] {integer(c, "rate") * 8 / 1000, integer(c, "ceil") * 8 / 1000};
                }
            }
            return new long[] {0, 0};
        }
        for (String line : out.split("\\R")) {
            List<String> words = List.of(line.strip().split("\\s+"));
            if (words.size() > 2 && words.get(0).equals("class") && words.get(1).equals("htb")
                    && words.get(2).equals(TcCommands.CLASS_ID)) {
                return new long[] {textRate(words, "rate", result), textRate(words, "ceil", result)};
            }
        }
        return new long[] {0, 0};
    }

    private static long textRate(List<String> words, String key, CommandResult result) throws BackendException {
        int at = words.indexOf(key);
        if (at < 0 || at + 1 >= words.size()) {
            throw new BackendException("no " + key + " in the output of " + describe(result));
        }
        return kbpsOf(words.get(at + 1));
    }

    /** kbit/s from tc's printed rate, e.g. {@code 20Mbit} → 20,000. */
    static long kbpsOf(String printed) throws BackendException {
        Matcher m = TEXT_RATE.matcher(printed);
        if (!m.matches()) {
            throw new BackendException("cannot read the rate '" + printed + "' that tc printed");
        }
        boolean binary = !m.group(3).isEmpty();
        int power = "KMGT".indexOf(m.group(2).isEmpty() ? ' ' : m.group(2).charAt(0)) + 1;
        double bits = Double.parseDouble(m.group(1)) * Math.pow(binary ? 1024 : 1000, power);
        return Math.round(bits / 1000);
    }

    private List<?> readJson(List<String> argv) throws BackendException {
        return parse(runRead(argv));
    }

    private CommandResult runRead(List<String> argv) throws BackendException {
        CommandResult result = run(runner, argv);
        if (!result.succeeded()) {
            throw new BackendException(result.failureMessage());
        }
        return result;
    }

    private static List<?> parse(CommandResult result) throws BackendException {
        String out = result.stdout().strip();
        if (out.isEmpty()) {
            return List.of();
        }
        Object json;
        try {
            json = JsonTree.parse(out);
        } catch (IOException e) {
            String problem = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            throw new BackendException("unreadable JSON from " + describe(result) + ": " + problem, e);
        }
        if (!(json instanceof List<?> list)) {
            throw new BackendException("expected a JSON array from " + describe(result));
        }
        return list;
    }

    private static String describe(CommandResult result) {
        return "'" + String.join(" ", result.argv()) + "'";
    }

    /**
     * Runs one command, turning a tool that cannot be started or that hangs into the backend's failure.
     *
     * @throws BackendException when it could not run or timed out; its exit code is the caller's business
     */
    static CommandResult run(CommandRunner runner, List<String> argv) throws BackendException {
        try {
            return runner.run(argv);
        } catch (CommandTimeoutException e) {
            throw new BackendException(e.getMessage(), e);
        } catch (IOException e) {
            throw new BackendException("cannot run " + argv.get(0).toLowerCase(Locale.ROOT) + ": " + e.getMessage(), e);
        }
    }
}
