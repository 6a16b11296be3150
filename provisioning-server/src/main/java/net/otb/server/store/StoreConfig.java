package net.otb.server.store;

import java.nio.file.Path;

/**
 * Where the store lives.
 *
 * @param jdbcUrl e.g. {@code jdbc:h2:file:/var/lib/otb/otb} or {@code jdbc:postgresql://db/otb}
 * @param user the database user, or {@code null} when the URL carries it
 * @param password the password, or {@code null}
 * @param poolSize connections in the pool, 1..64
 */
public record StoreConfig(String jdbcUrl, String user, String password, int poolSize) {

    public StoreConfig {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:")) {
            throw new IllegalArgumentException("store.jdbcUrl must be a JDBC URL (jdbc:h2:… or jdbc:postgresql:…), got: " + jdbcUrl);
        }
        if (poolSize < 1 || poolSize > 64) {
            throw new IllegalArgumentException("store.poolSize must be between 1 and 64, got " + poolSize);
        }
    }

    /** The embedded default: an H2 file database {@code otb} in {@code dataDir}. */
    public static StoreConfig h2(Path dataDir) {
        // LOCK_TIMEOUT bounds a wait on a locked row (the transaction helper retries after it); WRITE_DELAY=0
        // writes each commit to the file before the commit returns, so a killed process loses nothing it answered
        return new StoreConfig("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("otb") + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE",
                "sa", "", 10);
    }
}
