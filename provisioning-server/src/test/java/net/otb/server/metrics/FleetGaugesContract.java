package net.otb.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import net.otb.server.store.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fleet gauges' aggregate queries, on each store (FleetGaugesTest on H2, PostgresFleetGaugesTest). */
public abstract class FleetGaugesContract {

    static final Instant NOW = Instant.parse("2026-12-08T10:00:00Z");

    protected Database database;

    protected abstract Database newDatabase(Clock clock) throws Exception;

    protected void afterStoreClosed() throws Exception {
    }

    @AfterEach
    void close() throws Exception {
        if (database != null) {
            database.close();
        }
        afterStoreClosed();
    }

    @Test
    void servicesBehindByModelTasksRolloutsAndLeasesAreCountedFromTheStore() throws Exception {
        database = newDatabase(Clock.fixed(NOW, ZoneOffset.UTC));
        database.inTransaction(tx -> {
            Instant now = tx.now();
            // three v3 boxes: one in sync, one on an older generation, one that never applied; one v2b in sync
            String[][] boxes = {{"B1", "v3", "s1", "2"}, {"B2", "v3", "s2", "1"}, {"B3", "v3", null, null}, {"B4", "v2b", "s4", "1"}};
            int n = 0;
            for (String[] box : boxes) {
                n++;
                tx.update("INSERT INTO devices (id, model, state, registered_at, applied_service, applied_generation) "
                        + "VALUES (?, ?, 'active', ?, ?, ?)", box[0], box[1], now, box[2], box[3] == null ? null : Long.valueOf(box[3]));
                tx.update("INSERT INTO services (name, account, offer, status, service_ip, device_id, desired_generation, "
                        + "created_at, updated_at) VALUES (?, 'acc', 'starter.v1', 'active', ?, ?, ?, ?, ?)",
                        "s" + n, "198.51.100." + n, box[0], n == 4 ? 1L : 2L, now, now);
            }
            tx.update("INSERT INTO instances (instance_id, agent_address, started_at, heartbeat_at, lease_until) "
                    + "VALUES ('i-live', 'a:4443', ?, ?, ?)", now, now, now.plusSeconds(12));
            tx.update("INSERT INTO instances (instance_id, agent_address, started_at, heartbeat_at, lease_until) "
                    + "VALUES ('i-dead', 'b:4443', ?, ?, ?)", now, now, now.minusSeconds(30));
            tx.update("INSERT INTO instances (instance_id, agent_address, started_at, heartbeat_at, lease_until) "
                    + "VALUES ('i-gone', 'c:4443', ?, ?, ?)", now, now, now.minusSeconds(7200));
            return null;
        });
        Metrics metrics = new Metrics();
        FleetGauges.register(metrics, database);

        assertThat(metrics.render()).contains(
                "otb_store_up 1.0",
                "otb_fleet_services{model=\"v3\",sync=\"in_sync\"} 1.0",
                "otb_fleet_services{model=\"v3\",sync=\"behind\"} 2.0",
                "otb_fleet_services{model=\"v2b\",sync=\"in_sync\"} 1.0",
                "otb_fleet_services{model=\"v2b\",sync=\"behind\"} 0.0",
                "otb_fleet_tasks{state=\"error\"} 0.0",
                "otb_instances_live 1.0",
                "otb_instance_lease_remaining_seconds{instance_id=\"i-live\"} 12.0",
                "otb_instance_lease_remaining_seconds{instance_id=\"i-dead\"} -30.0")
                .doesNotContain("i-gone");
    }

    @Test
    void aClosedStoreShowsDownAndNoFleetSeries() throws Exception {
        database = newDatabase(Clock.fixed(NOW, ZoneOffset.UTC));
        Metrics metrics = new Metrics();
        FleetGauges.register(metrics, database);
        database.close();
        database = null;
        assertThat(metrics.render()).contains("otb_store_up 0.0").doesNotContain("otb_fleet_services{");
    }
}
