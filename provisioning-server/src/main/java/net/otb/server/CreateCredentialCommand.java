package net.otb.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.Callable;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.CredentialStore;
import net.otb.server.auth.Role;
import net.otb.server.auth.SecretBox;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import net.otb.server.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code otb-server create-credential --role ROLE}: creates an application and a consumer key of a role in the
 * server's store and prints them once (the store keeps the secret sealed and only a hash of the consumer key).
 * With the embedded H2 database, run it while the server is stopped (H2 lets one process open the file).
 */
@Command(name = "create-credential", mixinStandardHelpOptions = true,
        description = "Creates an API application and a consumer key of one role, and prints them once.")
final class CreateCredentialCommand implements Callable<Integer> {

    @Option(names = "--role", required = true, description = "order-system, billing, warehouse, operator or viewer (read-only operator)")
    String role;

    @Option(names = "--name", description = "the application's name (default: the role)")
    String name;

    @Option(names = "--data-dir", defaultValue = "data", description = "the server's data folder (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--jdbc-url", description = "the server's JDBC URL, when it does not use the embedded H2")
    String jdbcUrl;

    @Option(names = "--jdbc-user", description = "database user")
    String jdbcUser;

    @Option(names = "--jdbc-password-env", description = "environment variable holding the database password")
    String jdbcPasswordEnv;

    @Option(names = "--credential-key-file", description = "the server's AES key file (default: DATADIR/api-secrets.key)")
    Path keyFile;

    @Option(names = "--output", description = "write the credential to this new file (mode 0600) instead of printing it")
    Path output;

    @Option(names = "--format", defaultValue = "json",
            description = "the --output file's format: json, or env (OTB_AK, OTB_AS, OTB_CK lines for a shell or"
                    + " provisioning-server/dist/otb-call) (default: ${DEFAULT-VALUE})")
    String format;

    @Override
    public Integer call() {
        Role parsed;
        try {
            parsed = Role.parse(role);
        } catch (IllegalArgumentException e) {
            System.err.println("otb-server create-credential: " + e.getMessage());
            return 2;
        }
        if (!format.equals("json") && !format.equals("env")) {
            System.err.println("otb-server create-credential: --format is json or env, not '" + format + "'");
            return 2;
        }
        Path dir = dataDir.toAbsolutePath();
        StoreConfig store = StoreConfig.h2(dir);
        if (jdbcUrl != null) {
            String password = jdbcPasswordEnv == null ? null : System.getenv(jdbcPasswordEnv);
            if (jdbcPasswordEnv != null && password == null) {
                System.err.println("otb-server create-credential: the environment variable " + jdbcPasswordEnv
                        + " is not set");
                return 2;
            }
            store = new StoreConfig(jdbcUrl, jdbcUser, password, 2);
        }
        SecureRandom random = new SecureRandom();
        ApiCredential credential;
        try {
            Files.createDirectories(dir);
            SecretBox box = SecretBox.openOrCreate(keyFile != null ? keyFile : dir.resolve("api-secrets.key"), random);
            try (Database database = Database.open(store, Clock.systemUTC(), random)) {
                CredentialStore credentials = new CredentialStore(box, random);
                credential = database.inTransaction(tx -> credentials.create(tx, name != null ? name : parsed.wire(),
                        parsed));
            }
        } catch (IOException | StoreException e) {
            System.err.println("otb-server create-credential: " + e.getMessage()
                    + (jdbcUrl == null ? " (with the embedded database, stop the server first)" : ""));
            return 1;
        }
        if (output != null) {
            try {
                String text = format.equals("env")
                        ? "OTB_AK=" + credential.applicationKey() + "\nOTB_AS=" + credential.applicationSecret()
                                + "\nOTB_CK=" + credential.consumerKey() + "\n"
                        : credential.toJson() + "\n";
                Files.writeString(output, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                try {
                    Files.setPosixFilePermissions(output, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system
                }
            } catch (IOException e) {
                System.err.println("otb-server create-credential: cannot write " + output + ": " + e);
                return 1;
            }
            System.out.println("created a credential of role " + parsed.wire() + " (application " + credential.applicationKey()
                    + ") in " + output.toAbsolutePath());
            return 0;
        }
        System.out.println("Created a credential of role " + parsed.wire() + "; it is shown once, keep it:");
        System.out.println("  application key:    " + credential.applicationKey());
        System.out.println("  application secret: " + credential.applicationSecret());
        System.out.println("  consumer key:       " + credential.consumerKey());
        System.out.println("  rules:              " + credential.rules().stream()
                .map(r -> r.method() + " " + r.path()).toList());
        System.out.println(credential.toJson());
        return 0;
    }
}
