package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.otb.server.store.Database;
import net.otb.server.store.StoreException;
import net.otb.server.store.Tx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The store itself on PostgreSQL: the Flyway migrations on an empty schema, and the SQL the code relies on. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PostgresAvailable.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresStoreTest {

    private static final List<String> TABLES = List.of("api_applications", "api_consumers", "audit_events", "contacts",
            "desired_profiles", "devices", "flyway_schema_history", "idempotency_keys", "instances", "migrations",
            "purchase_orders", "push_tasks", "refunds", "rollout_boxes", "rollout_waves", "rollouts", "services");

    private final Clock clock = Clock.fixed(Instant.parse("2026-03-29T01:30:00.123Z"), ZoneOffset.UTC);
    private PostgresSchema schema;
    private Database database;

    @BeforeAll
    void open() throws SQLException {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        database = Database.open(schema.store(), clock, new SecureRandom());
    }

    @AfterAll
    void close() throws SQLException {
        if (database != null) {
            database.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    private List<String> tables() throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection connection = schema.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT table_name FROM information_schema.tables"
                     + " WHERE table_schema = ? ORDER BY table_name")) {
            statement.setString(1, schema.name());
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }

    private List<String> appliedMigrations() throws SQLException {
        List<String> versions = new ArrayList<>();
        try (Connection connection = schema.connect();
             ResultSet rows = connection.createStatement().executeQuery(
                     "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank")) {
            while (rows.next()) {
                versions.add(rows.getString(1) + (rows.getBoolean(2) ? "" : " FAILED"));
            }
        }
        return versions;
    }

    @Test
    @Order(1)
    void theMigrationsBuildTheWholeSchemaInTheEmptySchemaOnly() throws SQLException {
        assertThat(tables()).containsExactlyElementsOf(TABLES);
        assertThat(appliedMigrations()).startsWith("1", "2").allSatisfy(v -> assertThat(v).doesNotContain("FAILED"));
    }

    @Test
    @Order(2)
    void openingAgainAppliesNothingTwice() throws SQLException {
        List<String> before = appliedMigrations();
        try (Database again = Database.open(schema.store(), clock, new SecureRandom())) {
            assertThat(again.isHealthy()).isTrue();
        }
        assertThat(appliedMigrations()).isEqualTo(before);
    }

    @Test
    void aLockedRowIsWaitedOnForTenSecondsAtMostAsOnH2() {
        String timeout = database.inTransaction(tx -> tx.queryOne("SHOW lock_timeout", r -> r.getString(1)))
                .orElseThrow();
        assertThat(timeout).isEqualTo("10s");
    }

    @Test
    void instantsDatesNullsAndEnumsComeBackAsWritten() {
        Instant seen = Instant.parse("2026-10-25T01:30:00.456Z");
        database.inTransaction(tx -> tx.update("INSERT INTO devices (id, model, state, registered_at, last_seen_at, "
                + "firmware) VALUES (?, ?, ?, ?, ?, ?)", "OTB3-PG0001", "v3", Thread.State.NEW, tx.now(), seen, null));

        record Row(String state, Instant registeredAt, Instant lastSeenAt, String firmware, Long generation) {
        }
        Row row = database.inTransaction(tx -> tx.queryOne("SELECT * FROM devices WHERE id = ?", r -> new Row(
                r.getString("state"), Tx.instant(r, "registered_at"), Tx.instant(r, "last_seen_at"),
                r.getString("firmware"), Tx.nullableLong(r, "applied_generation")), "OTB3-PG0001")).orElseThrow();

        assertThat(row).isEqualTo(new Row("NEW", clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                seen, null, null));
        LocalDate date = LocalDate.of(2028, 2, 29);
        long id = database.inTransaction(tx -> tx.insert("INSERT INTO contacts (name, street, postcode, city, country, "
                + "phone, created_at) VALUES ('A', 'B', '75001', 'Paris', 'FR', '+33100000000', ?)", tx.now()));
        Optional<LocalDate> back = database.inTransaction(tx -> tx.queryOne("SELECT CAST(? AS DATE) FROM contacts "
                + "WHERE id = ?", r -> r.getObject(1, LocalDate.class), date, id));
        assertThat(back).contains(date);
    }

    @Test
    void identitiesCountUpAndPagingWorks() {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            ids.add(database.inTransaction(tx -> tx.insert("INSERT INTO audit_events (occurred_at, actor, action, "
                    + "service_name, generation) VALUES (?, 'pg-test', 'test.paged', 'pg-paged', ?)", tx.now(), (long) n)));
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        List<Long> page = database.inTransaction(tx -> tx.query("SELECT generation FROM audit_events WHERE service_name = ?"
                + " ORDER BY id LIMIT ? OFFSET ?", r -> r.getLong(1), "pg-paged", 2, 1));
        assertThat(page).containsExactly(1L, 2L);
    }

    @Test
    void uniqueColumnsTakeManyNullsButOneValueAndTheViolationIsRecognised() {
        for (int i = 0; i < 2; i++) {
            database.inTransaction(tx -> tx.insert("INSERT INTO contacts (name, street, postcode, city, country, phone, "
                    + "created_at) VALUES ('N', 'S', '75001', 'Paris', 'FR', '+33100000000', ?)", tx.now()));
        }
        database.inTransaction(tx -> tx.insert("INSERT INTO contacts (name, street, postcode, city, country, phone, "
                + "default_slot, created_at) VALUES ('D', 'S', '75001', 'Paris', 'FR', '+33100000000', 1, ?)", tx.now()));

        Optional<Boolean> unique = database.inTransaction(tx -> {
            try {
                tx.insert("INSERT INTO contacts (name, street, postcode, city, country, phone, default_slot, created_at)"
                        + " VALUES ('E', 'S', '75001', 'Paris', 'FR', '+33100000000', 1, ?)", tx.now());
                return Optional.empty();
            } catch (SQLException e) {
                return Optional.of(Database.isUniqueViolation(e));
            }
        });
        assertThat(unique).contains(true);
        assertThatThrownBy(() -> database.inTransaction(tx -> tx.update("INSERT INTO contacts (name, street, postcode, "
                + "city, country, phone, default_slot, created_at) VALUES ('F', 'S', '75001', 'Paris', 'FR', "
                + "'+33100000000', 2, ?)", tx.now())))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("contacts_default_slot");
    }
}
