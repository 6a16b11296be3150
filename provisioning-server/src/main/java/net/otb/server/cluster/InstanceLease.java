package net.otb.server.cluster;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.otb.server.desired.TaskState;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import net.otb.protocol.logging.LogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This instance's row in {@code instances}, renewed every third of the lease. An instance whose lease ran out is
 * taken for dead by the next heartbeat of any other: its boxes are fenced (their token grows, so a paused instance
 * that wakes up can write nothing for them) and their unanswered pushes are due again wherever they reconnect.
 * An instance that finds its own row gone was taken for dead: it ends every session it holds ({@link #onLost}).
 *
 * <p>On embedded H2 the database file's lock already proves that this process is the only one: every other row is
 * a dead run's. On an H2 database that several processes could open (server mode), another live lease refuses the
 * start: several instances need PostgreSQL.
 */
public final class InstanceLease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceLease.class);

    private final Database database;
    private final String instanceId;
    private final String agentAddress;
    private final Duration lease;
    private final Runnable onLost;
    private final ScheduledExecutorService timer;
    private volatile boolean failing;

    /**
     * @param onLost run when this instance finds it was taken for dead (its sessions may all be stale)
     */
    public InstanceLease(Database database, String instanceId, String agentAddress, Duration lease, Runnable onLost) {
        this.database = database;
        this.instanceId = instanceId;
        this.agentAddress = agentAddress;
        this.lease = lease;
        this.onLost = onLost;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "otb-instance-lease");
            t.setDaemon(true);
            return t;
        });
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * Takes the row (fencing whatever a previous run under this id held) and starts the heartbeat.
     *
     * @throws IllegalStateException when several instances would share an H2 database
     */
    public void start() {
        database.inTransaction(tx -> {
            Instant now = tx.now();
            List<String[]> others = tx.query("SELECT instance_id, lease_until FROM instances WHERE instance_id <> ?",
                    row -> new String[] {row.getString(1), String.valueOf(Tx.instant(row, "lease_until"))}, instanceId);
            if (database.isH2()) {
                if (database.isSharedH2()) {
                    List<String> live = tx.query("SELECT instance_id FROM instances WHERE instance_id <> ? AND lease_until >= ?",
                            row -> row.getString(1), instanceId, now);
                    if (!live.isEmpty()) {
                        throw new IllegalStateException("several instances need PostgreSQL: the instance " + live.get(0)
                                + " holds a live lease on this H2 database, which is the single-instance embedded store "
                                + "(give every instance --jdbc-url jdbc:postgresql://…)");
                    }
                }
                for (String[] other : others) {
                    reap(tx, other[0], "a previous run on this H2 database");
                }
            } else {
                reapExpired(tx, now);
            }
            reap(tx, instanceId, "a previous run under this instance id");
            tx.update("INSERT INTO instances (instance_id, agent_address, started_at, heartbeat_at, lease_until) "
                    + "VALUES (?, ?, ?, ?, ?)", instanceId, agentAddress, now, now, now.plus(lease));
            return null;
        });
        long period = Math.max(1, lease.toMillis() / 3);
        timer.scheduleWithFixedDelay(this::heartbeat, period, period, TimeUnit.MILLISECONDS);
        LOG.info("event=instance.lease_held instance={} agentAddress={} leaseSeconds={} renewMillis={}",
                LogFields.value(instanceId), LogFields.value(agentAddress), lease.toSeconds(), period);
    }

    /** Renews the lease, and takes for dead the instances whose lease ran out (the timer calls it; tests too). */
    public void heartbeat() {
        try {
            boolean lost = database.inTransaction(tx -> {
                Instant now = tx.now();
                int renewed = tx.update("UPDATE instances SET heartbeat_at = ?, lease_until = ? WHERE instance_id = ?",
                        now, now.plus(lease), instanceId);
                if (renewed == 0) {
                    tx.update("INSERT INTO instances (instance_id, agent_address, started_at, heartbeat_at, lease_until) "
                            + "VALUES (?, ?, ?, ?, ?)", instanceId, agentAddress, now, now, now.plus(lease));
                }
                if (!database.isH2()) {
                    reapExpired(tx, now);
                }
                return renewed == 0;
            });
            if (failing) {
                failing = false;
                LOG.info("event=instance.lease_renewed_again instance={}", LogFields.value(instanceId));
            }
            if (lost) {
                LOG.warn("event=instance.lease_lost instance={} detail=\"its lease ran out (paused, or cut from the "
                        + "database): every session it holds ends, the boxes reconnect\"", LogFields.value(instanceId));
                onLost.run();
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("event=instance.lease_renew_failed instance={} error={}", LogFields.value(instanceId),
                        LogFields.value(e.toString()));
            }
        }
    }

    private void reapExpired(Tx tx, Instant now) throws SQLException {
        List<String> expired = tx.query("SELECT instance_id FROM instances WHERE lease_until < ? AND instance_id <> ? "
                + "ORDER BY instance_id FOR UPDATE", row -> row.getString(1), now, instanceId);
        for (String dead : expired) {
            reap(tx, dead, "its lease ran out");
        }
    }

    /** Fences every box {@code dead} holds and makes their unanswered pushes due again; drops its row. */
    private void reap(Tx tx, String dead, String why) throws SQLException {
        Instant now = tx.now();
        int due = tx.update("UPDATE push_tasks SET state = ?, updated_at = ? WHERE state = ? AND device_id IN "
                + "(SELECT id FROM devices WHERE owner_instance = ?)", TaskState.QUEUED, now, TaskState.DOING, dead);
        int boxes = tx.update("UPDATE devices SET owner_token = owner_token + 1, owner_instance = NULL "
                + "WHERE owner_instance = ?", dead);
        int rows = tx.update("DELETE FROM instances WHERE instance_id = ?", dead);
        if (boxes > 0 || rows > 0) {
            tx.afterCommit(() -> LOG.info("event=instance.reaped instance={} reapedBy={} why={} boxesFenced={} pushesDue={}",
                    LogFields.value(dead), LogFields.value(instanceId), LogFields.value(why), boxes, due));
        }
    }

    /** Stops the heartbeat and gives the row up, so that the others need not wait for the lease. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            database.inTransaction(tx -> tx.update("DELETE FROM instances WHERE instance_id = ?", instanceId));
        } catch (RuntimeException e) {
            LOG.debug("instance {}: cannot drop the row: {}", instanceId, e.toString());
        }
    }
}
