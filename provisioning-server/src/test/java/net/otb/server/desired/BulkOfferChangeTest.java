package net.otb.server.desired;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.io.TempDir;

/** The bulk offer change on the embedded H2 store (the default). */
class BulkOfferChangeTest extends BulkOfferChangeContract {

    @TempDir
    Path dir;

    private int stores;

    @Override
    protected Database newDatabase() throws Exception {
        Path data = Files.createDirectories(dir.resolve("store-" + stores++));
        return Database.open(StoreConfig.h2(data), CLOCK, new SecureRandom());
    }
}
