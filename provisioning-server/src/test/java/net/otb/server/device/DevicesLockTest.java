package net.otb.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Devices#lock} on H2 (a no-op update and a plain read instead of an uncached {@code FOR UPDATE}): it still
 * holds the box's row until the transaction ends, so a second locker waits and then reads what the first committed,
 * and it changes nothing in the row.
 */
class DevicesLockTest {

    private final Devices devices = new Devices();

    @Test
    void aSecondLockerWaitsForTheFirstAndReadsWhatItCommitted(@TempDir Path dir) throws Exception {
        try (Database database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), RandomGenerator.getDefault())) {
            database.inTransaction(tx -> devices.register(tx, "BOX-1", "otb-v2"));
            CountDownLatch firstHolds = new CountDownLatch(1);
            CountDownLatch firstMayCommit = new CountDownLatch(1);
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> database.inTransaction(tx -> {
                assertThat(devices.lock(tx, "BOX-1")).isPresent();
                firstHolds.countDown();
                hold(firstMayCommit);
                // a takeover's token, committed only after the second locker has begun to wait
                tx.update("UPDATE devices SET owner_token = 7 WHERE id = ?", "BOX-1");
                return null;
            }));
            assertThat(firstHolds.await(30, TimeUnit.SECONDS)).isTrue();
            Thread[] secondThread = new Thread[1];
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
                secondThread[0] = Thread.currentThread();
                return database.inTransaction(tx -> devices.lock(tx, "BOX-1").orElseThrow().ownerToken());
            });
            // the second locker blocks on the row (H2 waits in Object.wait with its lock timeout); without a lock it
            // would read the committed token 0 and finish at once
            await().atMost(Duration.ofSeconds(30)).until(() -> second.isDone() || (secondThread[0] != null
                    && secondThread[0].getState() == Thread.State.TIMED_WAITING));
            firstMayCommit.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertThat(second.get(30, TimeUnit.SECONDS)).as("the token the second locker read").isEqualTo(7);
        }
    }

    @Test
    void lockingChangesNothingInTheRow(@TempDir Path dir) {
        try (Database database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), RandomGenerator.getDefault())) {
            database.inTransaction(tx -> devices.register(tx, "BOX-2", "otb-v2"));
            database.inTransaction(tx -> {
                devices.recordHello(tx, "BOX-2", "otb-v2", "1.2", "0.9", "ab12", "local", 3);
                return null;
            });
            Optional<Device> before = database.inTransaction(tx -> devices.find(tx, "BOX-2"));
            Optional<Device> locked = database.inTransaction(tx -> devices.lock(tx, "BOX-2"));
            Optional<Device> after = database.inTransaction(tx -> devices.find(tx, "BOX-2"));
            assertThat(locked).isEqualTo(before);
            assertThat(after).isEqualTo(before);
            Optional<Device> none = database.inTransaction(tx -> devices.lock(tx, "NO-SUCH-BOX"));
            assertThat(none).isEmpty();
        }
    }

    private static void hold(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
