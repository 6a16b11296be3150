package net.otb.server.desired;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.io.TempDir;

/** {@link TaskFinishedWhileSentContract} on H2 (a file database, as the server runs it). */
class TaskFinishedWhileSentTest extends TaskFinishedWhileSentContract {

    @TempDir
    Path dir;

    @Override
    protected Database newDatabase() {
        return Database.open(StoreConfig.h2(dir), Clock.systemUTC(), new SecureRandom());
    }
}
