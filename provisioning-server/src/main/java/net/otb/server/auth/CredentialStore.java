package net.otb.server.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import net.otb.server.store.Tx;

/**
 * Applications and consumer keys in the store (tables {@code api_applications}, {@code api_consumers}). Keys are
 * drawn from the injected random source in OVH's shapes: a 16-character application key, 32-character secret
 * and consumer key, letters and digits.
 */
public final class CredentialStore {

    /** A consumer key as the signature check needs it. */
    public record Grant(long consumerId, String applicationKey, String applicationSecret, String role,
                        List<AccessRule> rules) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final SecretBox box;
    private final SecureRandom random;

    public CredentialStore(SecretBox box, SecureRandom random) {
        this.box = box;
        this.random = random;
    }

    /** Creates an application named {@code name} and one consumer key with {@code role}'s rules. */
    public ApiCredential create(Tx tx, String name, Role role) throws SQLException {
        return create(tx, name, role.wire(), role.rules());
    }

    /** Creates an application and a consumer key with the given rules. */
    public ApiCredential create(Tx tx, String name, String role, List<AccessRule> rules) throws SQLException {
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("an application's name is 1-200 characters");
        }
        String applicationKey = token(16);
        String secret = token(32);
        String consumerKey = token(32);
        long application = tx.insert("INSERT INTO api_applications (application_key, name, secret_sealed, created_at) "
                + "VALUES (?, ?, ?, ?)", applicationKey, name, box.seal(secret), tx.now());
        String rulesJson;
        try {
            rulesJson = JSON.writeValueAsString(rules);
        } catch (IOException e) {
            throw new IllegalStateException("rules are plain JSON", e);
        }
        tx.insert("INSERT INTO api_consumers (consumer_key_hash, application_id, role, rules, created_at) "
                + "VALUES (?, ?, ?, ?, ?)", hash(consumerKey), application, role, rulesJson, tx.now());
        return new ApiCredential(applicationKey, secret, consumerKey, role, rules);
    }

    /** The consumer key {@code consumerKey} and its application, when both exist. */
    public Optional<Grant> find(Tx tx, String consumerKey) throws SQLException {
        return tx.queryOne("SELECT c.id, a.application_key, a.secret_sealed, c.role, c.rules FROM api_consumers c "
                + "JOIN api_applications a ON a.id = c.application_id WHERE c.consumer_key_hash = ?", row -> {
                    try {
                        return new Grant(row.getLong("id"), row.getString("application_key"),
                                box.open(row.getString("secret_sealed")), row.getString("role"),
                                JSON.readValue(row.getString("rules"), new TypeReference<List<AccessRule>>() { }));
                    } catch (IOException e) {
                        throw new SQLException("unreadable rules of consumer " + row.getLong("id"), e);
                    }
                }, hash(consumerKey));
    }

    /**
     * A consumer key as {@code GET /1.0/auth/currentCredential} shows it to its own caller: never a secret nor the key.
     *
     * @param credentialId the consumer key's id (the audit log's {@code consumer})
     * @param applicationKey its application's key ({@code X-Ovh-Application})
     * @param applicationName the application's name, as given to {@code create-credential}
     * @param role the role it was made for
     * @param rules what it grants, in OVH's form
     * @param status always {@code validated} (OVH's word for a usable key; ours are usable once created)
     * @param creation when it was made
     */
    public record CurrentCredential(long credentialId, String applicationKey, String applicationName, String role,
                                    List<AccessRule> rules, String status, java.time.Instant creation) {
    }

    /** The consumer key of id {@code consumerId}, as its own caller may see it. */
    public static Optional<CurrentCredential> current(Tx tx, long consumerId) throws SQLException {
        return tx.queryOne("SELECT c.id, a.application_key, a.name, c.role, c.rules, c.created_at AS creation FROM api_consumers c "
                + "JOIN api_applications a ON a.id = c.application_id WHERE c.id = ?", row -> {
                    try {
                        return new CurrentCredential(row.getLong(1), row.getString(2), row.getString(3),
                                row.getString(4), JSON.readValue(row.getString(5), new TypeReference<List<AccessRule>>() { }),
                                "validated", Tx.instant(row, "creation"));
                    } catch (IOException e) {
                        throw new SQLException("unreadable rules of consumer " + row.getLong(1), e);
                    }
                }, consumerId);
    }

    /** Whether an application with this key exists. */
    public boolean applicationExists(Tx tx, String applicationKey) throws SQLException {
        return tx.queryLong("SELECT COUNT(*) FROM api_applications WHERE application_key = ?", applicationKey) > 0;
    }

    private String token(int length) {
        StringBuilder token = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            token.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return token.toString();
    }

    static String hash(String consumerKey) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(consumerKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
