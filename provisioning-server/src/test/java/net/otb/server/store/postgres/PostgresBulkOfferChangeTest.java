package net.otb.server.store.postgres;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import net.otb.server.desired.BulkOfferChangeContract;
import net.otb.server.store.Database;
import org.junit.jupiter.api.extension.ExtendWith;

/** The bulk offer change on PostgreSQL: its arrays, casts and correlated updates, against the per-service path. */
@ExtendWith(PostgresAvailable.class)
class PostgresBulkOfferChangeTest extends BulkOfferChangeContract {

    private final List<PostgresSchema> schemas = new ArrayList<>();

    @Override
    protected Database newDatabase() throws Exception {
        PostgresSchema schema = PostgresSchema.create(System.getenv(), new SecureRandom());
        schemas.add(schema);
        return Database.open(schema.store(), CLOCK, new SecureRandom());
    }

    @Override
    protected void afterStoresClosed() throws Exception {
        for (PostgresSchema schema : schemas) {
            schema.close();
        }
        schemas.clear();
    }
}
