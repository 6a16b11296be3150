package net.otb.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes an embedded H2 file database's commits durable on power loss, with a group commit: after a transaction
 * that wrote commits, its thread waits until an {@code fsync} of the database file that began after its commit
 * has returned; one {@code fsync} covers every commit that finished before it began, so concurrent committers
 * share it (a thread that waited while another synced usually finds its commit covered already).
 *
 * <p>H2 (MVStore, {@code WRITE_DELAY=0}) writes each commit to the file before the commit returns but never
 * forces it to the disk; {@code CHECKPOINT SYNC} writes what is still unsaved and then forces the file
 * ({@code FileChannel.force(true)}, an {@code fsync}) on H2's own file channel. It needs an admin user
 * ({@code sa} in the default URL), which {@link #check} verifies at open. Thread-safe.
 */
final class GroupSync {

    private static final String SYNC = "CHECKPOINT SYNC";

    /** Forces what was committed on the database to the disk. */
    interface Syncer {
        void sync(Connection connection) throws SQLException;
    }

    private final Syncer syncer;

    /** Commits that finished writing (a ticket each). */
    private final AtomicLong committed = new AtomicLong();
    /** Runs one sync at a time; guards {@link #synced}. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Every commit with a ticket up to this is on the disk. */
    private long synced;
    private final AtomicLong syncs = new AtomicLong();

    /** H2's {@code CHECKPOINT SYNC}. */
    GroupSync() {
        this(GroupSync::check);
    }

    GroupSync(Syncer syncer) {
        this.syncer = syncer;
    }

    /** Whether {@code url} names an H2 database whose commits must be forced to the disk (not a memory one). */
    static boolean appliesTo(String url) {
        return url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:h2:mem:");
    }

    /**
     * Runs the sync once, so that a user who may not run it is refused at open rather than at the first answer.
     *
     * @throws SQLException naming the reason (typically: admin rights required)
     */
    static void check(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(SYNC);
        }
    }

    /**
     * Returns once the transaction just committed on {@code connection} is on the disk: syncs on this connection
     * unless a sync that began after the commit has already returned.
     */
    void afterCommit(Connection connection) throws SQLException {
        long ticket = committed.incrementAndGet();
        lock.lock();
        try {
            if (synced >= ticket) {
                return;
            }
            // every commit counted so far finished writing before this sync begins, so it covers them all
            long covered = committed.get();
            syncer.sync(connection);
            synced = covered;
            syncs.incrementAndGet();
        } finally {
            lock.unlock();
        }
    }

    /** Commits made durable so far. */
    long commits() {
        return committed.get();
    }

    /** Threads waiting for the sync in progress (tests). */
    int waiting() {
        return lock.getQueueLength();
    }

    /** Syncs run so far (at most {@link #commits()}; fewer when commits were grouped). */
    long syncs() {
        return syncs.get();
    }
}
