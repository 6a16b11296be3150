package net.otb.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import net.otb.server.testing.ChildServer;
import net.otb.server.testing.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ServerMain} with the options docs/server.md gives for PostgreSQL, in a child JVM that is killed
 * (SIGKILL) and started again: everything it answered is still there, a stored answer included.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PostgresAvailable.class)
class PostgresServerMainTest {

    private PostgresSchema schema;

    @BeforeAll
    void createSchema() throws SQLException {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
    }

    @AfterAll
    void dropSchema() throws SQLException {
        if (schema != null) {
            schema.close();
        }
    }

    private ChildServer start(Path dir) throws Exception {
        // the password goes by the name of its environment variable, never on the command line
        return ChildServer.start(dir, "--jdbc-url", schema.store().jdbcUrl(), "--jdbc-user",
                schema.store().user(), "--jdbc-password-env", PostgresSchema.PASSWORD_VARIABLE);
    }

    @Test
    void whatTheServerAnsweredSurvivesAKill(@TempDir Path dir) throws Exception {
        String order = "{\"offer\":\"business.v1\",\"acceptedContracts\":[\"otb-general-conditions\","
                + "\"otb-business-special-conditions\"]}";
        Http.Answer ordered;
        try (ChildServer child = start(dir)) {
            Http http = child.http();
            assertThat(http.get("/healthz").status()).isEqualTo(200);
            assertThat(http.post("/1.0/admin/devices", "{\"serial\":\"OTB3-PGMAIN1\",\"model\":\"v3\"}").status())
                    .isEqualTo(201);
            assertThat(http.post("/1.0/admin/services", "{\"serviceName\":\"otb-pg-main\",\"account\":\"a\",\"offer\":"
                    + "\"starter.v1\",\"serviceIp\":\"198.51.100.99\",\"deviceId\":\"OTB3-PGMAIN1\"}").status())
                    .isEqualTo(201);
            ordered = http.post("/1.0/overTheBox/otb-pg-main/migration/changeOffers", order, "pg-main-1");
            assertThat(ordered.status()).as(ordered.body()).isEqualTo(200);
            child.kill();
        }

        try (ChildServer again = start(dir)) {
            Http http = again.http();
            assertThat(http.get("/1.0/admin/devices/OTB3-PGMAIN1").json().path("state").asText()).isEqualTo("registered");
            assertThat(http.get("/1.0/overTheBox/otb-pg-main").json().path("serviceIp").asText())
                    .isEqualTo("198.51.100.99");
            assertThat(http.get("/1.0/overTheBox/otb-pg-main/migration").json().path("orderId").asLong())
                    .isEqualTo(ordered.json().path("orderId").asLong());
            Http.Answer replayed = http.post("/1.0/overTheBox/otb-pg-main/migration/changeOffers", order, "pg-main-1");
            assertThat(replayed.replayed()).isTrue();
            assertThat(replayed.body()).isEqualTo(ordered.body());
            assertThat(again.terminate()).isEqualTo(143);
        }
    }
}
