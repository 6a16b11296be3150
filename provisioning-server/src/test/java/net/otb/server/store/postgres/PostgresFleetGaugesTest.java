package net.otb.server.store.postgres;

import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.metrics.FleetGaugesContract;
import net.otb.server.store.Database;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fleet gauges' aggregate queries on PostgreSQL. */
@ExtendWith(PostgresAvailable.class)
class PostgresFleetGaugesTest extends FleetGaugesContract {

    private PostgresSchema schema;

    @Override
    protected Database newDatabase(Clock clock) throws Exception {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        return Database.open(schema.store(), clock, new SecureRandom());
    }

    @Override
    protected void afterStoreClosed() throws Exception {
        if (schema != null) {
            schema.close();
            schema = null;
        }
    }
}
