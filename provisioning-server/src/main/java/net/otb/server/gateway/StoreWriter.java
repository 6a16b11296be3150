package net.otb.server.gateway;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sessions' store work off the event loop with group commit: a few stripes, one box always on the
 * same stripe, each stripe a single writer thread that takes every task queued since its last commit (up
 * to {@link #MAX_GROUP}) and runs them in one transaction. A task's {@link StoreTask#committed} runs only
 * once that transaction has committed, so whatever it writes to a box is durable first; tasks run and
 * answer in the order they were queued, so one box's messages are handled in order. Under load the groups
 * grow by themselves (while one commits, the next one queues), so the database commits a few times per
 * stripe instead of once per message; when idle a group is a single task and adds no delay.
 *
 * <p>A group that fails (a bad row, a conflict that kept coming back) is rolled back and its tasks run
 * again one per transaction, so only the task at fault fails. Tasks may run more than once (retries), so
 * {@link StoreTask#run} must act only through the transaction.
 */
final class StoreWriter implements AutoCloseable {

    /** The most tasks committed together: bounds the transaction's size and a retry's cost. */
    static final int MAX_GROUP = 256;

    private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);

    /** Store work of one box: done in a shared transaction, answered after it commits. */
    interface StoreTask<T> {

        /** Reads and writes through {@code tx} only; may run again if the group is retried. */
        T run(Tx tx) throws SQLException;

        /** After the commit, on the stripe's thread: send what the result says. */
        void committed(T result);

        /** The work could not be committed. */
        void failed(RuntimeException e);
    }

    /** Told of each group's boxes at the start of each attempt of its transaction, before its tasks run. */
    interface GroupHook {
        GroupHook NONE = new GroupHook() {
            @Override
            public void beforeGroup(Tx tx, List<String> keys) {
            }

            @Override
            public void forget(String key) {
            }
        };

        void beforeGroup(Tx tx, List<String> keys) throws SQLException;

        /** What memory holds of {@code key} is stale: read it again (before its group's transaction begins). */
        void forget(String key);
    }

    /**
     * A task with the key it was queued under.
     *
     * @param reload what memory holds of the key is to be read again before the task runs
     */
    private record Keyed(String key, StoreTask<Object> task, boolean reload) {
    }

    private final Database database;
    private final GroupHook hook;
    private final Stripe[] stripes;
    private final AtomicBoolean closed = new AtomicBoolean();

    StoreWriter(Database database, int count) {
        this(database, count, GroupHook.NONE);
    }

    StoreWriter(Database database, int count, GroupHook hook) {
        this.database = database;
        this.hook = hook;
        this.stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe("otb-gateway-store-" + i);
            stripes[i].thread.start();
        }
    }

    /** Queues {@code task} on the stripe of {@code key}; returns false when shutting down. */
    <T> boolean submit(String key, StoreTask<T> task) {
        return submit(key, task, false);
    }

    /**
     * Queues {@code task} on the stripe of {@code key}; with {@code reload}, the {@link GroupHook} forgets the key
     * before the task's group runs (the key was changed by another writer). Returns false when shutting down.
     */
    @SuppressWarnings("unchecked")
    <T> boolean submit(String key, StoreTask<T> task, boolean reload) {
        return enqueue(key, new Keyed(key, (StoreTask<Object>) task, reload));
    }

    /** Runs {@code work} on the stripe of {@code key}, outside any group, in order with its tasks. */
    boolean execute(String key, Runnable work) {
        return enqueue(key, work);
    }

    private boolean enqueue(String key, Object item) {
        if (closed.get()) {
            return false;
        }
        stripes[Math.floorMod(key.hashCode(), stripes.length)].queue.add(item);
        return true;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Stripe stripe : stripes) {
            stripe.queue.add(Stripe.STOP);
        }
        for (Stripe stripe : stripes) {
            try {
                stripe.thread.join(5_000);
                if (stripe.thread.isAlive()) {
                    stripe.thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stripe.thread.interrupt();
            }
        }
    }

    private final class Stripe implements Runnable {

        static final Object STOP = new Object();

        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final Thread thread;

        Stripe(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            List<Object> drained = new ArrayList<>(MAX_GROUP);
            List<Keyed> group = new ArrayList<>(MAX_GROUP);
            try {
                while (true) {
                    drained.add(queue.take());
                    queue.drainTo(drained, MAX_GROUP - 1);
                    for (Object item : drained) {
                        if (item == STOP) {
                            runGroup(group);
                            return;
                        }
                        if (item instanceof Runnable work) {
                            // work outside a transaction of ours keeps its place in the order
                            runGroup(group);
                            runQuietly(work);
                        } else {
                            group.add((Keyed) item);
                        }
                    }
                    drained.clear();
                    runGroup(group);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void runGroup(List<Keyed> group) {
            if (group.isEmpty()) {
                return;
            }
            try {
                List<Object> results;
                List<String> keys = new ArrayList<>(group.size());
                for (Keyed keyed : group) {
                    keys.add(keyed.key());
                    if (keyed.reload()) {
                        hook.forget(keyed.key());
                    }
                }
                try {
                    results = database.inTransaction(tx -> {
                        hook.beforeGroup(tx, keys);
                        List<Object> out = new ArrayList<>(group.size());
                        for (Keyed keyed : group) {
                            out.add(keyed.task().run(tx));
                        }
                        return out;
                    });
                } catch (RuntimeException e) {
                    if (group.size() == 1) {
                        fail(group.get(0).task(), e);
                    } else {
                        LOG.debug("a group of {} store tasks failed ({}); running them one by one", group.size(),
                                e.toString());
                        for (Keyed keyed : group) {
                            runAlone(keyed);
                        }
                    }
                    return;
                }
                for (int i = 0; i < group.size(); i++) {
                    answer(group.get(i).task(), results.get(i));
                }
            } finally {
                group.clear();
            }
        }

        private void runAlone(Keyed keyed) {
            Object result;
            try {
                result = database.inTransaction(tx -> {
                    hook.beforeGroup(tx, List.of(keyed.key()));
                    return keyed.task().run(tx);
                });
            } catch (RuntimeException e) {
                fail(keyed.task(), e);
                return;
            }
            answer(keyed.task(), result);
        }

        private void answer(StoreTask<Object> task, Object result) {
            try {
                task.committed(result);
            } catch (RuntimeException e) {
                LOG.warn("store task answer failed", e);
            }
        }

        private void fail(StoreTask<Object> task, RuntimeException e) {
            try {
                task.failed(e);
            } catch (RuntimeException again) {
                LOG.warn("store task failure handling failed", again);
            }
        }

        private void runQuietly(Runnable work) {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.warn("store work failed", e);
            }
        }
    }
}
