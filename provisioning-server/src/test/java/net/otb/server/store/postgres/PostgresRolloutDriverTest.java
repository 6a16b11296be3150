package net.otb.server.store.postgres;

import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.rollout.RolloutDriverContract;
import net.otb.server.store.Database;
import org.junit.jupiter.api.extension.ExtendWith;

/** The rollout rules on PostgreSQL: its locks, arrays, joins and the V5 schema. */
@ExtendWith(PostgresAvailable.class)
class PostgresRolloutDriverTest extends RolloutDriverContract {

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
