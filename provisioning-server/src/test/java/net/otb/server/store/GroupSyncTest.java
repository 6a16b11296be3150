package net.otb.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The group commit's rule: a commit returns only after a sync that began after it; one sync serves a group. */
class GroupSyncTest {

    @Test
    void commitsThatArriveDuringASyncShareTheNextOneAndNoneReturnsOnASyncThatBeganBeforeIt() throws Exception {
        CountDownLatch firstSyncMayEnd = new CountDownLatch(1);
        CountDownLatch firstSyncBegan = new CountDownLatch(1);
        List<String> log = new CopyOnWriteArrayList<>();
        GroupSync[] holder = new GroupSync[1];
        GroupSync sync = new GroupSync(connection -> {
            long n = holder[0].syncs();
            log.add("sync" + n + " began");
            if (n == 0) {
                firstSyncBegan.countDown();
                try {
                    firstSyncMayEnd.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            log.add("sync" + n + " ended");
        });
        holder[0] = sync;

        Thread a = committer(sync, "a", log);
        a.start();
        assertThat(firstSyncBegan.await(30, TimeUnit.SECONDS)).isTrue();
        // b and c commit while a's sync runs: it began before them, so it must not release them
        Thread b = committer(sync, "b", log);
        Thread c = committer(sync, "c", log);
        b.start();
        c.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> sync.waiting() == 2);
        firstSyncMayEnd.countDown();
        for (Thread t : List.of(a, b, c)) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(t.isAlive()).isFalse();
        }

        assertThat(sync.commits()).isEqualTo(3);
        assertThat(sync.syncs()).isEqualTo(2);
        assertThat(log.subList(0, 2)).containsExactly("sync0 began", "sync0 ended");
        // a is released by sync0 (two syncs for three commits, b and c need sync1); whether its line comes before
        // the next sync's first line is up to the scheduler
        assertThat(log.indexOf("a durable")).isGreaterThan(log.indexOf("sync0 ended"));
        assertThat(log.indexOf("b durable")).isGreaterThan(log.indexOf("sync1 ended"));
        assertThat(log.indexOf("c durable")).isGreaterThan(log.indexOf("sync1 ended"));
        assertThat(log).doesNotContain("sync2 began");
    }

    @Test
    void onlyFileDatabasesOfH2AreSyncedByTheServer() {
        assertThat(GroupSync.appliesTo("jdbc:h2:file:/var/lib/otb/otb;WRITE_DELAY=0")).isTrue();
        assertThat(GroupSync.appliesTo("jdbc:h2:/var/lib/otb/otb")).isTrue();
        assertThat(GroupSync.appliesTo("jdbc:h2:mem:test")).isFalse();
        assertThat(GroupSync.appliesTo("jdbc:postgresql://127.0.0.1/otb")).isFalse();
    }

    private static Thread committer(GroupSync sync, String name, List<String> log) {
        return new Thread(() -> {
            try {
                sync.afterCommit(null);
                log.add(name + " durable");
            } catch (java.sql.SQLException e) {
                log.add(name + " failed: " + e);
            }
        }, "committer-" + name);
    }
}
