package net.otb.server.metrics;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.io.TempDir;

/** The fleet gauges on the embedded H2. */
class FleetGaugesTest extends FleetGaugesContract {

    @TempDir
    Path dir;

    @Override
    protected Database newDatabase(Clock clock) {
        return Database.open(StoreConfig.h2(dir), clock, new SecureRandom());
    }
}
