package net.otb.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start skips Flyway only when the history holds exactly the class path's migrations, with Flyway's checksums. */
class SchemaCheckTest {

    @Test
    void aMigratedDatabaseIsUpToDateAndEveryChecksumIsFlywaysOwn(@TempDir Path dir) throws Exception {
        assertThat(SchemaCheck.upToDate(new org.h2.jdbcx.JdbcDataSource())).as("no database").isFalse();
        try (Database database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), new SecureRandom())) {
            Map<String, Integer> stored = new HashMap<>();
            try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery("SELECT \"version\", \"checksum\" FROM \"flyway_schema_history\" "
                         + "WHERE \"version\" IS NOT NULL")) {
                while (rows.next()) {
                    stored.put(rows.getString(1), rows.getInt(2));
                }
            }
            assertThat(SchemaCheck.migrations()).as("the checksums Flyway wrote").isEqualTo(stored).isNotEmpty();
            assertThat(SchemaCheck.upToDate(database.dataSource())).isTrue();

            // an applied migration whose file changed since: Flyway must see it
            try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE \"flyway_schema_history\" SET \"checksum\" = \"checksum\" + 1 "
                        + "WHERE \"version\" = '1'");
                c.commit();
            }
            assertThat(SchemaCheck.upToDate(database.dataSource())).isFalse();
        }
    }
}
