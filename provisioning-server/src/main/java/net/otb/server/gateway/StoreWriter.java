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

    private final Database database;
    private final Stripe[] stripes;
    private final AtomicBoolean closed = new AtomicBoolean();

    StoreWriter(Database database, int count) {
        this.database = database;
        this.stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe("otb-gateway-store-" + i);
            stripes[i].thread.start();
        }
    }

    /** Queues {@code task} on the stripe of {@code key}; returns false when shutting down. */
    <T> boolean submit(String key, StoreTask<T> task) {
        return enqueue(key, task);
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
            List<StoreTask<Object>> group = new ArrayList<>(MAX_GROUP);
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
                            @SuppressWarnings("unchecked")
                            StoreTask<Object> task = (StoreTask<Object>) item;
                            group.add(task);
                        }
                    }
                    drained.clear();
                    runGroup(group);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void runGroup(List<StoreTask<Object>> group) {
            if (group.isEmpty()) {
                return;
            }
            try {
                List<Object> results;
                try {
                    results = database.inTransaction(tx -> {
                        List<Object> out = new ArrayList<>(group.size());
                        for (StoreTask<Object> task : group) {
                            out.add(task.run(tx));
                        }
                        return out;
                    });
                } catch (RuntimeException e) {
                    if (group.size() == 1) {
                        fail(group.get(0), e);
                    } else {
                        LOG.debug("a group of {} store tasks failed ({}); running them one by one", group.size(),
                                e.toString());
                        for (StoreTask<Object> task : group) {
                            runAlone(task);
                        }
                    }
                    return;
                }
                for (int i = 0; i < group.size(); i++) {
                    answer(group.get(i), results.get(i));
                }
            } finally {
                group.clear();
            }
        }

        private void runAlone(StoreTask<Object> task) {
            Object result;
            try {
                result = database.inTransaction(task::run);
            } catch (RuntimeException e) {
                fail(task, e);
                return;
            }
            answer(task, result);
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
