package net.otb.protocol.pki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The revoked certificate serials, optionally backed by a JSON file written atomically (temp, fsync,
 * rename). Thread-safe: the TLS trust manager reads it on every handshake while an operator revokes.
 */
public final class RevocationList {

    /** Why and when a serial was revoked. */
    public record Entry(String serialHex, String commonName, Instant revokedAt, String reason) {
    }

    /**
     * Made on the first file read or write only: a box keeps its list in memory, and building an ObjectMapper
     * costs ~280 classes of the 64 MB it gives its agent.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Path file;

    private RevocationList(Path file) {
        this.file = file;
    }

    /** A list that lives in memory only. */
    public static RevocationList inMemory() {
        return new RevocationList(null);
    }

    /**
     * Loads the list from {@code file}; a missing file is an empty list that will be created on the first
     * revocation.
     *
     * @throws PkiException when the file exists but is not a revocation list
     */
    public static RevocationList load(Path file) throws PkiException {
        RevocationList list = new RevocationList(file);
        try {
            JsonNode root = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            JsonNode revoked = root == null ? null : root.get("revoked");
            if (revoked == null || !revoked.isArray()) {
                throw new PkiException(file + ": not a revocation list (no \"revoked\" array)");
            }
            for (JsonNode node : revoked) {
                String serial = text(node, "serial", file);
                list.entries.put(serial, new Entry(serial, node.path("cn").asText(null),
                        Instant.parse(text(node, "revokedAt", file)), node.path("reason").asText("")));
            }
        } catch (NoSuchFileException e) {
            return list;
        } catch (IOException | RuntimeException e) {
            throw new PkiException(file + ": unreadable revocation list: " + e.getMessage(), e);
        }
        return list;
    }

    public boolean isRevoked(X509Certificate certificate) {
        return entries.containsKey(Certificates.serialHex(certificate));
    }

    public boolean isRevoked(String serialHex) {
        return entries.containsKey(serialHex.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Revokes a certificate and saves the list when it has a file.
     *
     * @return false when it was already revoked
     * @throws PkiException when the file cannot be written; the revocation is then not kept
     */
    public synchronized boolean revoke(X509Certificate certificate, Instant at, String reason) throws PkiException {
        return revoke(Certificates.serialHex(certificate), Certificates.commonName(certificate), at, reason);
    }

    public synchronized boolean revoke(String serialHex, String commonName, Instant at, String reason)
            throws PkiException {
        String serial = serialHex.toLowerCase(java.util.Locale.ROOT);
        if (entries.containsKey(serial)) {
            return false;
        }
        entries.put(serial, new Entry(serial, commonName, at, reason == null ? "" : reason));
        try {
            save();
        } catch (PkiException e) {
            entries.remove(serial);
            throw e;
        }
        return true;
    }

    public Map<String, Entry> entries() {
        return Collections.unmodifiableMap(new TreeMap<>(entries));
    }

    private void save() throws PkiException {
        if (file == null) {
            return;
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode revoked = root.putArray("revoked");
        new TreeMap<>(entries).values().forEach(entry -> {
            ObjectNode node = revoked.addObject();
            node.put("serial", entry.serialHex());
            node.put("cn", entry.commonName());
            node.put("revokedAt", entry.revokedAt().toString());
            node.put("reason", entry.reason());
        });
        try {
            net.otb.protocol.files.AtomicFiles.write(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new PkiException(file + ": cannot save the revocation list: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field, Path file) throws PkiException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new PkiException(file + ": a revoked entry has no \"" + field + "\"");
        }
        return value.asText();
    }
}
