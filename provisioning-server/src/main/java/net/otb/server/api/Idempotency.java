package net.otb.server.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import net.otb.server.store.Database;
import net.otb.server.store.RetryableConflict;
import net.otb.server.store.Tx;

/**
 * The first answer to each request that carried an {@code Idempotency-Key}, kept in the store. The key
 * is claimed by inserting its row in the handler's own transaction, before the handler runs: a concurrent
 * request with the same key waits on that row (or meets the unique key and is run again), then finds the
 * committed answer. So the answer and the state change commit together, and two retries never both run.
 * Only successful answers are kept: a refused request changed nothing and may be retried as it is. A key belongs to
 * the credential that sent it (its consumer key): another caller's same key is another key, so two callers never
 * share an answer and a refusal never describes another caller's request.
 */
public final class Idempotency {

    /** How long a key's answer is kept. */
    public static final Duration RETENTION = Duration.ofHours(24);

    /** Keys are opaque strings; this bounds what we store. */
    public static final int MAX_KEY_LENGTH = 255;

    /** A stored answer. */
    public record Stored(String method, String path, String bodySha256, int status, String contentType, String body) {
    }

    private Idempotency() {
    }

    /**
     * Claims {@code key} for this request, or returns the answer stored for it.
     *
     * @param scope whose key it is: the caller's consumer key id, or null for a dispatcher that checks no signature
     * @return the stored answer when the key was used before by the same request
     * @throws ProblemException 422 when the key was used by another request (method, path or body differ)
     * @throws RetryableConflict when a concurrent request inserted the key first
     */
    static Optional<Stored> claim(Tx tx, Long scope, String key, ApiRequest request) throws SQLException {
        checkKey(key);
        String stored0 = scoped(scope, key);
        String hash = sha256(request.body());
        Optional<Stored> stored = find(tx, stored0);
        if (stored.isPresent()) {
            Stored s = stored.get();
            if (!s.method().equals(request.method()) || !s.path().equals(request.path()) || !s.bodySha256().equals(hash)) {
                throw Problems.idempotencyKeyReused("the Idempotency-Key " + key + " was used for another request ("
                        + s.method() + " " + s.path() + (s.bodySha256().equals(hash) ? "" : " with another body")
                        + "); use a new key for a new request");
            }
            return stored;
        }
        try {
            tx.update("INSERT INTO idempotency_keys (idem_key, method, path, body_sha256, status, content_type, "
                    + "response_body, created_at) VALUES (?, ?, ?, ?, 0, '', '', ?)",
                    stored0, request.method(), request.path(), hash, tx.now());
        } catch (SQLException e) {
            if (Database.isUniqueViolation(e)) {
                throw new RetryableConflict("Idempotency-Key " + key + " is being used by a concurrent request");
            }
            throw e;
        }
        return Optional.empty();
    }

    /** Stores the answer of the request that claimed {@code key}, in the same transaction. */
    static void complete(Tx tx, Long scope, String key, int status, String contentType, String body)
            throws SQLException {
        tx.update("UPDATE idempotency_keys SET status = ?, content_type = ?, response_body = ? WHERE idem_key = ?",
                status, contentType, body, scoped(scope, key));
    }

    /** The key as stored: its owner, a space (never part of a key: keys are visible ASCII), the key. */
    static String scoped(Long scope, String key) {
        return (scope == null ? "-" : "c" + scope) + " " + key;
    }

    /** Deletes answers older than {@link #RETENTION}; returns how many. */
    public static int purge(Database database) {
        return database.inTransaction(tx -> {
            Instant before = tx.now().minus(RETENTION);
            return tx.update("DELETE FROM idempotency_keys WHERE created_at < ?", before);
        });
    }

    private static Optional<Stored> find(Tx tx, String key) throws SQLException {
        return tx.queryOne("SELECT method, path, body_sha256, status, content_type, response_body "
                + "FROM idempotency_keys WHERE idem_key = ?", row -> new Stored(row.getString(1), row.getString(2),
                row.getString(3), row.getInt(4), row.getString(5), row.getString(6)), key);
    }

    private static void checkKey(String key) {
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw Problems.invalidField("Idempotency-Key", "the Idempotency-Key header must be 1-"
                    + MAX_KEY_LENGTH + " characters");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw Problems.invalidField("Idempotency-Key", "the Idempotency-Key header must be visible ASCII");
            }
        }
    }

    static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static Map<String, String> replayHeaders() {
        return Map.of("Idempotent-Replayed", "true");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
