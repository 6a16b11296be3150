package net.otb.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import net.otb.server.desired.AuditLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2's identity columns cache many values (a sequence write every 32 rows was a full store and emptied every
 * connection's query cache), and the cache never costs an id's uniqueness or order, even across a crash.
 */
class H2IdentityCacheTest {

    private final AuditLog audit = new AuditLog();

    @Test
    void everyIdentityColumnCachesManyValuesAndIdsStillGrowAcrossACrash(@TempDir Path dir) throws Exception {
        List<Long> before = new ArrayList<>();
        try (Database database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), RandomGenerator.getDefault())) {
            Map<String, Long> caches = identityCaches(database);
            assertThat(caches).containsKeys("AUDIT_EVENTS.ID", "PUSH_TASKS.ID");
            assertThat(caches.values()).allSatisfy(cache -> assertThat(cache).isGreaterThanOrEqualTo(
                    Database.H2_IDENTITY_CACHE));
            // more rows than H2's default cache of 32, each committed (and synced) on its own
            for (int i = 0; i < 40; i++) {
                int n = i;
                before.add(database.inTransaction(tx -> audit.append(tx, "test", "test.event", null, null, null,
                        "before the crash " + n)));
            }
            // a crash: H2 stops at once, writing nothing more (the unused rest of the cache is lost)
            try (Connection connection = database.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("SHUTDOWN IMMEDIATELY");
            } catch (java.sql.SQLException expected) {
                // the connection may report the shutdown as an error
            }
        }
        assertThat(before).isSorted().doesNotHaveDuplicates();

        try (Database database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), RandomGenerator.getDefault())) {
            long survived = database.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM audit_events "
                    + "WHERE actor = 'test'"));
            assertThat(survived).as("every committed event survived").isEqualTo(40);
            long after = database.inTransaction(tx -> audit.append(tx, "test", "test.event", null, null, null,
                    "after the crash"));
            assertThat(after).as("ids never repeat nor go back after a crash").isGreaterThan(before.get(39));
            // widening again is a no-op: the second open found nothing to alter
            assertThat(identityCaches(database).values()).allSatisfy(cache -> assertThat(cache).isEqualTo(
                    Database.H2_IDENTITY_CACHE));
        }
    }

    private static Map<String, Long> identityCaches(Database database) throws Exception {
        Map<String, Long> caches = new HashMap<>();
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT TABLE_NAME, COLUMN_NAME, IDENTITY_CACHE FROM "
                     + "INFORMATION_SCHEMA.COLUMNS WHERE IS_IDENTITY = 'YES' AND TABLE_SCHEMA = 'PUBLIC'")) {
            while (rows.next()) {
                caches.put(rows.getString(1) + "." + rows.getString(2), rows.getLong(3));
            }
        }
        return caches;
    }
}
