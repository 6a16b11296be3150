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
    /** The file's modification time, size and key when last read or written, to see another process's write. */
    private volatile String fileStamp;

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
        list.entries.putAll(read(file));
        list.fileStamp = stamp(file);
        return list;
    }

    /**
     * Takes in what another process added to the file since it was last read or written here (the PKI tool's
     * {@code revoke} while the server runs): entries are only ever added, never dropped. Cheap when the file did not
     * change (its modification time and size are compared).
     *
     * @return the serials newly revoked, in no order; empty when nothing changed or there is no file
     * @throws PkiException when the file changed and cannot be read; the list in memory stays as it was
     */
    public synchronized java.util.Set<String> refresh() throws PkiException {
        if (file == null) {
            return java.util.Set.of();
        }
        String now = stamp(file);
        if (java.util.Objects.equals(now, fileStamp)) {
            return java.util.Set.of();
        }
        java.util.Set<String> added = new java.util.HashSet<>();
        for (Map.Entry<String, Entry> e : read(file).entrySet()) {
            if (entries.putIfAbsent(e.getKey(), e.getValue()) == null) {
                added.add(e.getKey());
            }
        }
        fileStamp = now;
        return added;
    }

    private static Map<String, Entry> read(Path file) throws PkiException {
        Map<String, Entry> found = new java.util.HashMap<>();
        try {
            JsonNode root = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            JsonNode revoked = root == null ? null : root.get("revoked");
            if (revoked == null || !revoked.isArray()) {
                throw new PkiException(file + ": not a revocation list (no \"revoked\" array)");
            }
            for (JsonNode node : revoked) {
                String serial = text(node, "serial", file);
                found.put(serial, new Entry(serial, node.path("cn").asText(null),
                        Instant.parse(text(node, "revokedAt", file)), node.path("reason").asText("")));
            }
        } catch (NoSuchFileException e) {
            return found;
        } catch (IOException | RuntimeException e) {
            throw new PkiException(file + ": unreadable revocation list: " + e.getMessage(), e);
        }
        return found;
    }

    private static String stamp(Path file) {
        try {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(file,
                    java.nio.file.attribute.BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + ":" + a.size() + ":" + a.fileKey();
        } catch (IOException e) {
            return null;
        }
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
        // what another process (the PKI tool) wrote to the file since it was read is kept, never overwritten
        refresh();
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
            fileStamp = stamp(file);
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
