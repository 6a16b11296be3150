package net.otb.protocol.pki;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code pki} command: makes and keeps a development PKI in a folder (see {@link DevPki} for the
 * layout). Exit codes: 0 done, 1 the operation failed (a file exists, a key is unreadable...), 2 the
 * command line is wrong.
 */
@Command(name = "pki", mixinStandardHelpOptions = true, version = "pki 0.1",
        description = "Makes a development PKI for the OverTheBox agents and the provisioning server.",
        footer = {"", "Exit codes: 0 done, 1 the operation failed, 2 bad arguments.",
            "Example: pki init dev-pki && pki issue-device dev-pki OTB3-000001 OTB3-000002"})
public final class PkiTool {

    /** The server certificate's names when {@code init} is given none. */
    public static final List<String> DEFAULT_HOSTS = List.of("localhost", "127.0.0.1", "::1");

    private final Clock clock;
    private final SecureRandom random;

    @Spec
    private CommandSpec spec;

    public PkiTool(Clock clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /** The command line with this project's error handling: one line per failure, exit code 1. */
    public static CommandLine commandLine(PkiTool tool) {
        CommandLine line = new CommandLine(tool);
        line.setExecutionExceptionHandler((e, command, parsed) -> {
            PrintWriter err = command.getErr();
            if (e instanceof PkiException) {
                err.println("pki: " + e.getMessage());
            } else {
                err.println("pki: unexpected failure: " + e);
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return line;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new PkiTool(Clock.systemUTC(), new SecureRandom())).execute(args));
    }

    @Command(name = "init", description = "Creates a CA and a server certificate in an empty or new folder.")
    int init(@Parameters(paramLabel = "DIR", description = "the folder to create the PKI in") Path dir,
             @Option(names = "--host", split = ",", paramLabel = "HOST",
                     description = "a name or IP of the server (repeatable); default: localhost,127.0.0.1,::1")
             List<String> hosts) throws PkiException {
        List<String> names = checkHosts("init", hosts == null || hosts.isEmpty() ? DEFAULT_HOSTS : hosts);
        DevPki pki = DevPki.init(dir, clock, random);
        out().printf("created %s and %s (CA \"%s\", valid until %s)%n", pki.caFile(), dir.resolve("ca.key"),
                Certificates.commonName(pki.caCertificate()), pki.caCertificate().getNotAfter().toInstant());
        pki.issueServer(names, false, random);
        out().printf("created %s and %s for %s%n", pki.serverCertificateFile(), pki.serverKeyFile(),
                String.join(", ", names));
        out().printf("next: pki issue-device %s OTB3-000001%n", dir);
        return 0;
    }

    @Command(name = "issue-server", description = "Issues the server's certificate and key.")
    int issueServer(@Parameters(paramLabel = "DIR") Path dir,
                    @Option(names = "--host", split = ",", required = true, paramLabel = "HOST",
                            description = "a name or IP of the server (repeatable, or comma-separated)")
                    List<String> hosts,
                    @Option(names = "--force", description = "replace an existing server certificate and key")
                    boolean force) throws PkiException {
        List<String> names = checkHosts("issue-server", hosts);
        DevPki pki = open(dir);
        pki.issueServer(names, force, random);
        out().printf("%s %s and %s for %s%n", force ? "wrote" : "created", pki.serverCertificateFile(),
                pki.serverKeyFile(), String.join(", ", names));
        return 0;
    }

    @Command(name = "issue-device", description = "Issues a certificate and key per box (CN = the box serial).")
    int issueDevice(@Parameters(index = "0", paramLabel = "DIR") Path dir,
                    @Parameters(index = "1..*", arity = "1..*", paramLabel = "SERIAL",
                            description = "box serials, e.g. OTB3-000123") List<String> serials)
            throws PkiException {
        Set<String> unique = new LinkedHashSet<>();
        for (String serial : serials) {
            if (!DevPki.isSerial(serial)) {
                throw usage("issue-device", "a box serial is 1-64 letters, digits, '.', '_' or '-' starting with"
                        + " a letter or digit, got: " + serial);
            }
            if (!unique.add(serial)) {
                throw usage("issue-device", "serial given twice: " + serial);
            }
        }
        DevPki pki = open(dir);
        // refuse before writing anything, so that a failed command leaves the folder as it was
        List<String> existing = new ArrayList<>();
        for (String serial : unique) {
            if (Files.exists(pki.deviceCertificateFile(serial)) || Files.exists(pki.deviceKeyFile(serial))) {
                existing.add(serial);
            }
        }
        if (!existing.isEmpty()) {
            throw new PkiException("already issued in " + dir.resolve("devices") + ": " + String.join(", ", existing)
                    + "; revoke and remove the old files first");
        }
        for (String serial : unique) {
            pki.issueDevice(serial, random);
            out().printf("created %s and %s%n", pki.deviceCertificateFile(serial), pki.deviceKeyFile(serial));
        }
        return 0;
    }

    @Command(name = "revoke", description = "Adds a box's certificate to the revocation list (revoked.json).")
    int revoke(@Parameters(index = "0", paramLabel = "DIR") Path dir,
               @Parameters(index = "1", paramLabel = "SERIAL") String serial,
               @Option(names = "--reason", defaultValue = "unspecified", paramLabel = "TEXT",
                       description = "why, kept in the list (default: ${DEFAULT-VALUE})") String reason)
            throws PkiException {
        if (!DevPki.isSerial(serial)) {
            throw usage("revoke", "not a box serial: " + serial);
        }
        DevPki pki = open(dir);
        if (pki.revokeDevice(serial, reason)) {
            out().printf("revoked %s (%s) in %s%n", serial, reason, dir.resolve("revoked.json"));
        } else {
            out().printf("%s was already revoked%n", serial);
        }
        return 0;
    }

    @Command(name = "list", description = "Lists the certificates in the folder and whether they are revoked.")
    int list(@Parameters(paramLabel = "DIR") Path dir) throws PkiException {
        DevPki pki = open(dir);
        PrintWriter out = out();
        out.printf("%-7s %-24s %-34s %-20s %s%n", "KIND", "CN", "SERIAL", "NOT AFTER", "STATUS");
        for (DevPki.Listed listed : pki.list()) {
            out.printf("%-7s %-24s %-34s %-20s %s%n", listed.kind(), listed.commonName(), listed.serialHex(),
                    listed.notAfter(), listed.revoked() ? "revoked" : "valid");
        }
        return 0;
    }

    private DevPki open(Path dir) throws PkiException {
        if (!Files.exists(dir.resolve("ca.crt")) && Files.isDirectory(dir) || !Files.exists(dir)) {
            throw new PkiException(dir + " holds no PKI (no ca.crt); make one with: pki init " + dir);
        }
        return DevPki.open(dir, clock, random);
    }

    private List<String> checkHosts(String command, List<String> hosts) {
        for (String host : hosts) {
            if (!DevPki.isHost(host)) {
                throw usage(command, "not a host name or IP address: " + host);
            }
        }
        return List.copyOf(new LinkedHashSet<>(hosts));
    }

    private ParameterException usage(String command, String message) {
        return new ParameterException(spec.commandLine().getSubcommands().get(command), message);
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
