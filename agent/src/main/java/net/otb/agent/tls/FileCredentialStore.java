package net.otb.agent.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import net.otb.protocol.files.AtomicFiles;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.pki.PkiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The factory credentials (key and chain files the box was made with) and the renewed ones. Two files cannot be
 * renamed together, so a renewed key and its chain go into ONE file in the state folder, written atomically:
 * a crash leaves either the previous pair or the new pair. The factory files are never rewritten; they are the
 * fallback when no renewed pair exists.
 */
final class FileCredentialStore implements CredentialStore {

    static final String RENEWED_FILE = "credentials.pem";

    private static final Logger LOG = LoggerFactory.getLogger(FileCredentialStore.class);

    private final Path renewedFile;
    private volatile Credentials current;

    private FileCredentialStore(Path renewedFile, Credentials current) {
        this.renewedFile = renewedFile;
        this.current = current;
    }

    static FileCredentialStore open(Path keyFile, Path chainFile, Path stateDirectory) throws PkiException {
        Path renewedFile = stateDirectory.resolve(RENEWED_FILE);
        if (Files.exists(renewedFile)) {
            try {
                Credentials renewed = readCombined(renewedFile);
                LOG.info("using the renewed certificate in {} (valid until {})", renewedFile,
                        renewed.leaf().getNotAfter().toInstant());
                return new FileCredentialStore(renewedFile, renewed);
            } catch (PkiException e) {
                LOG.warn("ignoring {}: {}; using the factory credentials", renewedFile, e.getMessage());
            }
        }
        return new FileCredentialStore(renewedFile, Credentials.load(keyFile, chainFile));
    }

    @Override
    public Credentials current() {
        return current;
    }

    @Override
    public void replace(Credentials renewed) throws IOException {
        List<Object> objects = new ArrayList<>();
        objects.add(renewed.key());
        objects.addAll(renewed.chain());
        AtomicFiles.write(renewedFile, Pem.write(objects.toArray()).getBytes(StandardCharsets.US_ASCII));
        current = renewed;
    }

    private static Credentials readCombined(Path file) throws PkiException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new PkiException("cannot read: " + e.getMessage(), e);
        }
        int firstCertificate = text.indexOf("-----BEGIN CERTIFICATE-----");
        if (firstCertificate < 0) {
            throw new PkiException("no certificate in the renewed credentials");
        }
        PrivateKey key = Pem.readPrivateKey(text.substring(0, firstCertificate));
        List<X509Certificate> chain = Pem.readCertificates(text.substring(firstCertificate));
        if (!RenewedCertificates.keyMatches(key, chain.get(0))) {
            throw new PkiException("the renewed key does not match its certificate");
        }
        return new Credentials(key, chain);
    }
}
