package net.otb.server.store.postgres;

import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.desired.TaskFinishedWhileSentContract;
import net.otb.server.store.Database;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link TaskFinishedWhileSentContract} on PostgreSQL, where the campaign found it (READ COMMITTED). */
@ExtendWith(PostgresAvailable.class)
class PostgresTaskFinishedWhileSentTest extends TaskFinishedWhileSentContract {

    private PostgresSchema schema;

    @Override
    protected Database newDatabase() throws Exception {
        schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        return Database.open(schema.store(), Clock.systemUTC(), new SecureRandom());
    }

    @Override
    protected void afterStoreClosed() throws Exception {
        schema.close();
    }
}
