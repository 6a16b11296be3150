package net.otb.server.rollout;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.io.TempDir;

/** The rollout rules on the embedded H2 store (the default). */
class RolloutDriverTest extends RolloutDriverContract {

    @TempDir
    Path dir;

    @Override
    protected Database newDatabase(Clock clock) {
        return Database.open(StoreConfig.h2(dir), clock, new SecureRandom());
    }
}
