package net.otb.server;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.otb.protocol.pki.RevocationList;
import net.otb.server.catalog.Catalog;
import net.otb.server.desired.AuditLog;
import net.otb.server.desired.DesiredStateEngine;
import net.otb.server.desired.PushTasks;
import net.otb.server.device.Devices;
import net.otb.server.device.HelloListener;
import net.otb.server.device.Services;
import net.otb.server.metrics.Metrics;
import net.otb.server.rollout.Rollouts;
import net.otb.server.store.Database;

/**
 * What an {@link net.otb.server.api.ApiModule} gets to build its routes: the store, the clock, the
 * random source, the catalog and the domain services. One per server; thread-safe.
 */
public final class ServerContext {

    private final ServerConfig config;
    private final Database database;
    private final Clock clock;
    private final SecureRandom random;
    private final Catalog catalog;
    private final Services services = new Services();
    private final Devices devices = new Devices();
    private final PushTasks tasks = new PushTasks();
    private final AuditLog audit = new AuditLog();
    private final DesiredStateEngine engine;
    private final Rollouts rollouts;
    private final Metrics metrics;
    private final List<HelloListener> helloListeners = new CopyOnWriteArrayList<>();
    private final RevocationList revocations;

    ServerContext(ServerConfig config, Database database, Clock clock, SecureRandom random, Catalog catalog,
                  Metrics metrics, RevocationList revocations) {
        this.revocations = revocations;
        this.config = config;
        this.database = database;
        this.clock = clock;
        this.random = random;
        this.catalog = catalog;
        this.metrics = metrics;
        this.engine = new DesiredStateEngine(() -> catalog, services, devices, tasks, audit);
        this.rollouts = new Rollouts(() -> catalog, engine, audit);
    }

    public ServerConfig config() {
        return config;
    }

    public Database database() {
        return database;
    }

    public Clock clock() {
        return clock;
    }

    public SecureRandom random() {
        return random;
    }

    public Catalog catalog() {
        return catalog;
    }

    public Services services() {
        return services;
    }

    public Devices devices() {
        return devices;
    }

    public PushTasks tasks() {
        return tasks;
    }

    public AuditLog audit() {
        return audit;
    }

    public DesiredStateEngine engine() {
        return engine;
    }

    /** The staged rollouts (driven by the server's {@link net.otb.server.rollout.RolloutDriver}). */
    public Rollouts rollouts() {
        return rollouts;
    }

    /** The certificate revocation list the agent gateway's TLS checks on every handshake. */
    public RevocationList revocations() {
        return revocations;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Adds a listener told of every accepted hello, inside its transaction (see {@link HelloListener}). */
    public void addHelloListener(HelloListener listener) {
        helloListeners.add(listener);
    }

    public List<HelloListener> helloListeners() {
        return helloListeners;
    }
}
