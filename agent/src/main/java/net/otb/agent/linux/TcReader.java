package net.otb.agent.linux;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 */
final class TcReader {

    /** tc prints rates in bit/s with decimal (or, with -iec, binary) prefixes: 20Mbit, 20500Kbit, 2Gbit. */
    private static final Pattern TEXT_RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)([KMGT]?)(i?)bit");

    private final CommandRunner runner;
    private final TcCommands commands;
    private final ObjectMapper json = new ObjectMapper();

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
        JsonNode links = readJson(commands.showLinks());
        boolean interfacePresent = false;
        boolean ifbPresent = false;
        for (JsonNode link : links) {
            String name = link.path("ifname").asText();
            if (name.equals(commands.iface())) {
                interfacePresent = true;
            }
            if (name.equals(commands.ifb())) {
                String kind = link.path("linkinfo").path("info_kind").asText("");
                if (!kind.equals("ifb")) {
                    throw new BackendException("device " + commands.ifb() + " exists and is not an IFB device ("
                            + (kind.isEmpty() ? "no kind" : kind) + "); choose another backend.ifb name");
                }
                ifbPresent = true;
            }
        }
        if (!interfacePresent) {
            return new TcState(false, null, false, null, ifbPresent,
                    ifbPresent ? readHtb(commands.ifb()) : null);
        }
        JsonNode qdiscs = readJson(commands.showQdiscs(commands.iface()));
        boolean ingress = false;
        for (JsonNode qdisc : qdiscs) {
            if (qdisc.path("kind").asText().equals("ingress")) {
                ingress = true;
            }
        }
        String redirectTo = ingress ? readRedirect() : null;
        TcState.Htb upload = hasOurRoot(qdiscs) ? classOf(commands.iface(), qdiscs) : null;
        TcState.Htb download = ifbPresent ? readHtb(commands.ifb()) : null;
        return new TcState(true, upload, ingress, redirectTo, ifbPresent, download);
    }

    private TcState.Htb readHtb(String dev) throws BackendException {
        JsonNode qdiscs = readJson(commands.showQdiscs(dev));
        return hasOurRoot(qdiscs) ? classOf(dev, qdiscs) : null;
    }

    private static boolean hasOurRoot(JsonNode qdiscs) {
        for (JsonNode qdisc : qdiscs) {
            if (qdisc.path("root").asBoolean(false) && qdisc.path("kind").asText().equals("htb")
                    && qdisc.path("handle").asText().equals(TcCommands.ROOT_HANDLE)) {
                return true;
            }
        }
        return false;
    }

    private TcState.Htb classOf(String dev, JsonNode qdiscs) throws BackendException {
        String leaf = null;
        for (JsonNode qdisc : qdiscs) {
            if (qdisc.path("parent").asText().equals(TcCommands.CLASS_ID)) {
                leaf = qdisc.path("kind").asText(null);
            }
        }
        CommandResult classes = runRead(commands.showClasses(dev));
        long[] rates = parseClassRates(classes);
        return new TcState.Htb(rates[0], rates[1], leaf);
    }

    private String readRedirect() throws BackendException {
        for (JsonNode filter : readJson(commands.showIngressFilters())) {
            for (JsonNode action : filter.path("options").path("actions")) {
                if (action.path("kind").asText().equals("mirred")
                        && action.path("mirred_action").asText().equals("redirect")
                        && action.path("direction").asText().equals("egress")) {
                    return action.path("to_dev").asText(null);
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
            JsonNode classes = parse(result);
            for (JsonNode c : classes) {
                if (c.path("handle").asText().equals(TcCommands.CLASS_ID) && c.path("class").asText().equals("htb")) {
                    // JSON rates are bytes per second
                    return new long[] {c.path("rate").asLong() * 8 / 1000, c.path("ceil").asLong() * 8 / 1000};
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

    private JsonNode readJson(List<String> argv) throws BackendException {
        return parse(runRead(argv));
    }

    private CommandResult runRead(List<String> argv) throws BackendException {
        CommandResult result = run(runner, argv);
        if (!result.succeeded()) {
            throw new BackendException(result.failureMessage());
        }
        return result;
    }

    private JsonNode parse(CommandResult result) throws BackendException {
        String out = result.stdout().strip();
        if (out.isEmpty()) {
            return json.createArrayNode();
        }
        try {
            JsonNode node = json.readTree(out);
            if (!node.isArray()) {
                throw new BackendException("expected a JSON array from " + describe(result));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BackendException("unreadable JSON from " + describe(result) + ": " + e.getOriginalMessage(), e);
        }
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
