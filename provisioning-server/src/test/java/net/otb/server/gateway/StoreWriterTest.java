package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.otb.server.store.Database;
import net.otb.server.store.StoreConfig;
import net.otb.server.store.Tx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreWriterTest {

    private Database database;
    private StoreWriter writer;

    @BeforeEach
    void open(@TempDir Path dir) {
        database = Database.open(StoreConfig.h2(dir), Clock.systemUTC(), new SecureRandom());
        writer = new StoreWriter(database, 2);
    }

    @AfterEach
    void close() {
        writer.close();
        database.close();
    }

    @Test
    void answersEachTaskAfterItsRowIsCommittedInOrderPerKeyAndIsolatesTheTaskAtFault() throws Exception {
        int perKey = 300;
        List<String> keys = List.of("OTB3-A", "OTB3-B", "OTB3-C");
        CountDownLatch answered = new CountDownLatch(perKey * keys.size());
        Map<String, List<Integer>> order = new ConcurrentHashMap<>();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<String> notVisible = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < perKey; i++) {
            for (String key : keys) {
                int n = i;
                String event = key + "#" + n;
                boolean bad = key.equals("OTB3-B") && n == 150;
                writer.submit(key, new StoreWriter.StoreTask<String>() {
                    @Override
                    public String run(Tx tx) throws SQLException {
                        // a statement the database refuses: its group must not take the others down with it
                        tx.update("INSERT INTO audit_events (occurred_at, actor, action, details) VALUES (?, ?, ?, ?)",
                                tx.now(), bad ? null : "test", "writer.test", event);
                        return event;
                    }

                    @Override
                    public void committed(String result) {
                        // committed means visible to any other transaction
                        long seen = database.inTransaction(tx -> tx.queryLong(
                                "SELECT COUNT(*) FROM audit_events WHERE details = ?", result));
                        if (seen != 1) {
                            notVisible.add(result);
                        }
                        order.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(n);
                        answered.countDown();
                    }

                    @Override
                    public void failed(RuntimeException e) {
                        failures.add(event);
                        answered.countDown();
                    }
                });
            }
        }
        assertThat(answered.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).containsExactly("OTB3-B#150");
        assertThat(notVisible).isEmpty();
        for (String key : keys) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < perKey; i++) {
                if (!(key.equals("OTB3-B") && i == 150)) {
                    expected.add(i);
                }
            }
            assertThat(order.get(key)).as(key).containsExactlyElementsOf(expected);
        }
        long rows = database.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM audit_events WHERE action = ?",
                "writer.test"));
        assertThat(rows).isEqualTo(perKey * keys.size() - 1L);
    }

    @Test
    void refusesWorkOnceClosed() {
        writer.close();
        assertThat(writer.execute("OTB3-A", () -> { })).isFalse();
    }
}
