package net.otb.protocol.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.otb.protocol.IpAddresses;
import net.otb.protocol.files.AtomicFiles;

/**
 * A PKI kept in a folder, for development, tests and small fleets:
 * <pre>
 *   ca.crt  ca.key                      the authority
 *   server.crt  server.key              the provisioning server (chain: server, CA)
 *   devices/SERIAL.crt  SERIAL.key      one pair per box (chain: device, CA)
 *   revoked.json                        the revocation list
 * </pre>
 * Keys are written readable by the owner only. Nothing is ever overwritten silently.
 */
public final class DevPki {

    public static final Duration CA_VALIDITY = Duration.ofDays(3_650);
    public static final Duration SERVER_VALIDITY = Duration.ofDays(825);
    public static final Duration DEVICE_VALIDITY = Duration.ofDays(365);

    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern HOST_NAME =
            Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*");

    private final Path directory;
    private final CertificateAuthority authority;
    private final RevocationList revocations;
    private final Clock clock;

    private DevPki(Path directory, CertificateAuthority authority, RevocationList revocations, Clock clock) {
        this.directory = directory;
        this.authority = authority;
        this.revocations = revocations;
        this.clock = clock;
    }

    /**
     * Creates the authority in an empty or missing folder.
     *
     * @throws PkiException when the folder already holds a CA, or cannot be written
     */
    public static DevPki init(Path directory, Clock clock, SecureRandom random) throws PkiException {
        Path caKey = directory.resolve("ca.key");
        if (Files.exists(caKey) || Files.exists(directory.resolve("ca.crt"))) {
            throw new PkiException(directory + " already holds a CA (ca.key / ca.crt); use another folder");
        }
        CertificateAuthority authority = CertificateAuthority.create("OverTheBox dev CA", clock.instant(),
                CA_VALIDITY, random);
        writeNew(directory.resolve("ca.crt"), Pem.write(authority.certificate()), false);
        writeNew(caKey, Pem.write(authority.privateKey()), true);
        return new DevPki(directory, authority, RevocationList.load(directory.resolve("revoked.json")), clock);
    }

    /**
     * Opens a folder made by {@link #init}.
     *
     * @throws PkiException naming the file that is missing or unreadable
     */
    public static DevPki open(Path directory, Clock clock, SecureRandom random) throws PkiException {
        if (!Files.isDirectory(directory)) {
            throw new PkiException(directory + " is not a folder; make one with 'pki init'");
        }
        List<X509Certificate> ca = Pem.readCertificates(directory.resolve("ca.crt"));
        PrivateKey key = Pem.readPrivateKey(directory.resolve("ca.key"));
        Certificates.checkKeyMatches(key, ca.get(0), directory.resolve("ca.key"), directory.resolve("ca.crt"));
        CertificateAuthority authority = new CertificateAuthority(new KeyPair(ca.get(0).getPublicKey(), key),
                ca.get(0), random);
        return new DevPki(directory, authority, RevocationList.load(directory.resolve("revoked.json")), clock);
    }

    /** Opens the folder's PKI, or creates it when the folder holds none. */
    public static DevPki openOrInit(Path directory, Clock clock, SecureRandom random) throws PkiException {
        if (Files.exists(directory.resolve("ca.crt"))) {
            return open(directory, clock, random);
        }
        return init(directory, clock, random);
    }

    public Path directory() {
        return directory;
    }

    public CertificateAuthority authority() {
        return authority;
    }

    public RevocationList revocations() {
        return revocations;
    }

    public X509Certificate caCertificate() {
        return authority.certificate();
    }

    public Path caFile() {
        return directory.resolve("ca.crt");
    }

    public Path serverKeyFile() {
        return directory.resolve("server.key");
    }

    public Path serverCertificateFile() {
        return directory.resolve("server.crt");
    }

    public Path deviceKeyFile(String serial) {
        return directory.resolve("devices").resolve(serial + ".key");
    }

    public Path deviceCertificateFile(String serial) {
        return directory.resolve("devices").resolve(serial + ".crt");
    }

    /**
     * Issues the server's certificate for these host names and IP literals.
     *
     * @param overwrite replace an existing server certificate
     * @throws PkiException when one exists and {@code overwrite} is false, or on a write failure
     */
    public Credentials issueServer(List<String> hosts, boolean overwrite, SecureRandom random) throws PkiException {
        if (hosts.isEmpty()) {
            throw new PkiException("give at least one host name or IP address for the server certificate");
        }
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        for (String host : hosts) {
            if (IpAddresses.isAddress(host)) {
                ips.add(host);
            } else if (isHostName(host)) {
                dns.add(host);
            } else {
                throw new PkiException("not a host name or IP address: " + host);
            }
        }
        KeyPair keyPair = KeyPairs.p256(random);
        X509Certificate certificate = authority.issueServer(keyPair.getPublic(), hosts.get(0), dns, ips,
                clock.instant(), SERVER_VALIDITY);
        writeNew(serverCertificateFile(), Pem.write(certificate, authority.certificate()), false, overwrite);
        writeNew(serverKeyFile(), Pem.write(keyPair.getPrivate()), true, overwrite);
        return new Credentials(keyPair.getPrivate(), List.of(certificate, authority.certificate()));
    }

    /**
     * Issues a box's certificate (CN = serial) and key.
     *
     * @throws PkiException when the serial is malformed or already has a certificate here
     */
    public Credentials issueDevice(String serial, SecureRandom random) throws PkiException {
        checkSerial(serial);
        KeyPair keyPair = KeyPairs.p256(random);
        X509Certificate certificate = authority.issueDevice(keyPair.getPublic(), serial, clock.instant(),
                DEVICE_VALIDITY);
        writeNew(deviceCertificateFile(serial), Pem.write(certificate, authority.certificate()), false);
        writeNew(deviceKeyFile(serial), Pem.write(keyPair.getPrivate()), true);
        return new Credentials(keyPair.getPrivate(), List.of(certificate, authority.certificate()));
    }

    /** Issues a box's credentials in memory only (the simulator's fleets need thousands). */
    public Credentials deviceCredentialsInMemory(String serial, SecureRandom random) throws PkiException {
        checkSerial(serial);
        KeyPair keyPair = KeyPairs.p256(random);
        X509Certificate certificate = authority.issueDevice(keyPair.getPublic(), serial, clock.instant(),
                DEVICE_VALIDITY);
        return new Credentials(keyPair.getPrivate(), List.of(certificate, authority.certificate()));
    }

    public Credentials serverCredentials() throws PkiException {
        return Credentials.load(serverKeyFile(), serverCertificateFile());
    }

    public Credentials deviceCredentials(String serial) throws PkiException {
        checkSerial(serial);
        return Credentials.load(deviceKeyFile(serial), deviceCertificateFile(serial));
    }

    /**
     * Revokes the certificate of a box issued here.
     *
     * @return false when it was revoked already
     */
    public boolean revokeDevice(String serial, String reason) throws PkiException {
        checkSerial(serial);
        if (!Files.exists(deviceCertificateFile(serial))) {
            throw new PkiException("no certificate for box " + serial + " here (" + deviceCertificateFile(serial) + ")");
        }
        List<X509Certificate> chain = Pem.readCertificates(deviceCertificateFile(serial));
        return revocations.revoke(chain.get(0), clock.instant(), reason);
    }

    /** One line per certificate in the folder. */
    public record Listed(String kind, String commonName, String serialHex, Instant notAfter, boolean revoked) {
    }

    public List<Listed> list() throws PkiException {
        List<Listed> listed = new ArrayList<>();
        listed.add(listed("ca", authority.certificate()));
        if (Files.exists(serverCertificateFile())) {
            listed.add(listed("server", Pem.readCertificates(serverCertificateFile()).get(0)));
        }
        Path devices = directory.resolve("devices");
        if (Files.isDirectory(devices)) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(devices, "*.crt")) {
                stream.forEach(files::add);
            } catch (IOException e) {
                throw new PkiException(devices + ": cannot list: " + e.getMessage(), e);
            }
            files.sort(null);
            for (Path file : files) {
                listed.add(listed("device", Pem.readCertificates(file).get(0)));
            }
        }
        return listed;
    }

    private Listed listed(String kind, X509Certificate certificate) {
        return new Listed(kind, Certificates.commonName(certificate), Certificates.serialHex(certificate),
                certificate.getNotAfter().toInstant(), revocations.isRevoked(certificate));
    }

    /** Whether {@code serial} can name a box (and a file): 1-64 letters, digits, '.', '_' or '-'. */
    public static boolean isSerial(String serial) {
        return serial != null && SERIAL.matcher(serial).matches();
    }

    /** Whether {@code host} can go in a certificate: an IP literal or a DNS name (a leading wildcard allowed). */
    public static boolean isHost(String host) {
        return host != null && (IpAddresses.isAddress(host) || isHostName(host));
    }

    private static boolean isHostName(String host) {
        return HOST_NAME.matcher(host).matches();
    }

    private static void checkSerial(String serial) throws PkiException {
        if (!isSerial(serial)) {
            throw new PkiException("a box serial is 1-64 letters, digits, '.', '_' or '-', got: " + serial);
        }
    }

    private static void writeNew(Path file, String pem, boolean secret) throws PkiException {
        writeNew(file, pem, secret, false);
    }

    private static void writeNew(Path file, String pem, boolean secret, boolean overwrite) throws PkiException {
        try {
            if (!overwrite && Files.exists(file)) {
                throw new FileAlreadyExistsException(file.toString());
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, pem.getBytes(StandardCharsets.US_ASCII));
            // the temporary file behind the atomic write is owner-only, so a key is never readable by others;
            // certificates are public and are opened up once in place
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: leave the default permissions
            }
        } catch (FileAlreadyExistsException e) {
            throw new PkiException(file + " already exists; refusing to overwrite it");
        } catch (IOException e) {
            throw new PkiException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
