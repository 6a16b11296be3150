package net.otb.server.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import net.otb.protocol.LogSafe;
import net.otb.server.desired.ChangeAnnouncer;
import net.otb.server.store.StoreConfig;
import net.otb.server.store.Tx;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTEN/NOTIFY between the instances on one PostgreSQL. Announcing: {@code pg_notify} in the transaction that
 * makes the change, so the notification leaves with the commit and never without it (a bulk change packs its boxes
 * into a few notifications of at most {@value #MAX_PAYLOAD} bytes). Listening: a dedicated connection, outside the
 * pool, on a thread of its own that waits in pgjdbc's {@code getNotifications(timeout)}; when the connection fails
 * it reconnects (with a growing pause, at most {@value #MAX_PAUSE_MILLIS} ms), LISTENs again and asks for a sweep,
 * since whatever was announced meanwhile is lost: a missed notification costs latency, never a change.
 *
 * <p>The channel is named after the schema ({@code otb_<schema>}), so that servers working in different schemas of
 * one database do not hear each other. A payload is {@code kind|origin|…}: {@code c} (desired state changed: device
 * ids separated by commas), {@code r} (revoked: one id), {@code s} (session taken: id and token); an instance skips
 * its own. Thread-safe.
 */
public final class ClusterEvents implements ChangeAnnouncer, AutoCloseable {

    /** What the listener hands on; called on the listener's thread, must not block. */
    public interface Sink {
        void changed(String deviceId);

        void revoked(String deviceId);

        void sessionTaken(String deviceId, String instance, long token);

        /** The listener (re)subscribed after a failure: announcements may have been missed. */
        void resubscribed();
    }

    /** PostgreSQL's limit is 8000 bytes; leave room for the kind and origin. */
    static final int MAX_PAYLOAD = 7_000;

    static final long MAX_PAUSE_MILLIS = 5_000;

    private static final Logger LOG = LoggerFactory.getLogger(ClusterEvents.class);

    private final StoreConfig store;
    private final String channel;
    private final String origin;
    private final Sink sink;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection connection;
    private volatile boolean listening;

    /**
     * @param channel the channel, from {@link #channelFor(String)}
     * @param origin this instance's id
     */
    public ClusterEvents(StoreConfig store, String channel, String origin, Sink sink) {
        this.store = store;
        this.channel = channel;
        this.origin = origin;
        this.sink = sink;
        this.thread = new Thread(this::listen, "otb-cluster-listener");
        this.thread.setDaemon(true);
    }

    /** The channel of the schema a server works in: {@code otb_} and the schema, lower-case, 63 characters at most. */
    public static String channelFor(String schema) {
        String name = "otb_" + schema.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /** The schema the pooled connections work in ({@code current_schema()}). */
    public static String currentSchema(Tx tx) throws SQLException {
        return tx.queryOne("SELECT current_schema()", row -> row.getString(1)).orElse("public");
    }

    /** Starts listening; returns once subscribed the first time, or after {@code waitMillis}. */
    public void start(long waitMillis) throws InterruptedException {
        thread.start();
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        synchronized (this) {
            while (!listening && !closed && System.nanoTime() < deadline) {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            }
        }
        if (!listening) {
            LOG.warn("not listening on {} yet; changes made elsewhere arrive through the sweep until then", channel);
        }
    }

    /** The PostgreSQL backend of the listening connection, or 0 when not connected (tests cut it). */
    public int backendPid() {
        Connection c = connection;
        try {
            return c == null ? 0 : c.unwrap(PGConnection.class).getBackendPID();
        } catch (SQLException e) {
            return 0;
        }
    }

    public boolean isListening() {
        return listening;
    }

    public String channel() {
        return channel;
    }

    @Override
    public void changed(Tx tx, Collection<String> deviceIds) throws SQLException {
        String prefix = "c|" + origin + "|";
        StringBuilder payload = new StringBuilder(prefix);
        for (String id : deviceIds) {
            if (payload.length() > prefix.length() && payload.length() + 1 + id.length() > MAX_PAYLOAD) {
                notify(tx, payload.toString());
                payload.setLength(prefix.length());
            }
            if (payload.length() > prefix.length()) {
                payload.append(',');
            }
            payload.append(id);
        }
        if (payload.length() > prefix.length()) {
            notify(tx, payload.toString());
        }
    }

    @Override
    public void revoked(Tx tx, String deviceId) throws SQLException {
        notify(tx, "r|" + origin + "|" + deviceId);
    }

    @Override
    public void sessionTaken(Tx tx, String deviceId, String previousInstance, long token) throws SQLException {
        notify(tx, "s|" + origin + "|" + deviceId + "|" + token);
    }

    private void notify(Tx tx, String payload) throws SQLException {
        tx.query("SELECT pg_notify(?, ?)", row -> Boolean.TRUE, channel, payload);
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        closeConnection();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void listen() {
        long pause = 100;
        boolean everListened = false;
        while (!closed) {
            try {
                Connection c = open();
                connection = c;
                try (Statement statement = c.createStatement()) {
                    statement.execute("LISTEN \"" + channel + "\"");
                }
                synchronized (this) {
                    listening = true;
                    notifyAll();
                }
                if (everListened) {
                    LOG.info("listening on {} again; sweeping, since announcements may have been missed", channel);
                    sink.resubscribed();
                } else {
                    LOG.info("listening on {} for the other instances' changes", channel);
                }
                everListened = true;
                pause = 100;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(1_000);
                    if (notifications == null || notifications.length == 0) {
                        // getNotifications(timeout) returns on timeout without touching the server: check it is there
                        try (Statement ping = c.createStatement(); ResultSet ignored = ping.executeQuery("SELECT 1")) {
                            continue;
                        }
                    }
                    for (PGNotification notification : notifications) {
                        dispatch(notification.getParameter());
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                if (listening || pause == 100) {
                    LOG.warn("the listener on {} lost its connection, reconnecting: {}", channel, e.toString());
                }
                listening = false;
                closeConnection();
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    break;
                }
                pause = Math.min(MAX_PAUSE_MILLIS, pause * 2);
            }
        }
        listening = false;
        closeConnection();
    }

    private Connection open() throws SQLException {
        Properties properties = new Properties();
        if (store.user() != null) {
            properties.setProperty("user", store.user());
        }
        if (store.password() != null) {
            properties.setProperty("password", store.password());
        }
        // a dead server must not hold the listener forever: the driver gives up on a silent socket
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "30");
        properties.setProperty("tcpKeepAlive", "true");
        Connection c = DriverManager.getConnection(store.jdbcUrl(), properties);
        c.setAutoCommit(true);
        return c;
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                LOG.debug("listener close: {}", e.getMessage());
            }
        }
    }

    void dispatch(String payload) {
        List<String> fields = Arrays.asList(payload.split("\\|", -1));
        if (fields.size() < 3 || origin.equals(fields.get(1))) {
            return;
        }
        try {
            switch (fields.get(0)) {
                case "c" -> {
                    List<String> ids = new ArrayList<>(Arrays.asList(fields.get(2).split(",")));
                    ids.forEach(sink::changed);
                }
                case "r" -> sink.revoked(fields.get(2));
                case "s" -> {
                    if (fields.size() == 4) {
                        sink.sessionTaken(fields.get(2), fields.get(1), Long.parseLong(fields.get(3)));
                    }
                }
                default -> LOG.debug("unknown announcement {}", LogSafe.quote(payload));
            }
        } catch (RuntimeException e) {
            LOG.warn("announcement {} could not be handled: {}", LogSafe.quote(payload), LogSafe.escape(e));
        }
    }
}
