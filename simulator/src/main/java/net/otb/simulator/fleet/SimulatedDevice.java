package net.otb.simulator.fleet;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import net.otb.agent.Agent;
import net.otb.agent.AgentListener;
import net.otb.agent.AgentStatus;
import net.otb.agent.state.StateStore;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.Credentials;
import net.otb.simulator.hardware.SimulatedBox;

/**
 * One box of a fleet: its simulated hardware, its real agent, and what the fleet observed of it (sessions,
 * applied and confirmed generations, rejections, rollbacks). The state store outlives the agent, as a box's
 * flash outlives its process: a crashed box restarts from what it saved.
 *
 * <p>Fields are written on the agent's event loop and read from any thread.
 */
public final class SimulatedDevice implements AgentListener {

    private final int index;
    private final SimulatedBox box;
    private final Credentials credentials;
    private final StateStore stateStore;
    private final FleetListener fleetListener;
    private final Function<SimulatedDevice, Agent> agentFactory;

    private volatile Agent agent;
    private volatile String sessionId;
    private volatile int sessions;
    private volatile long connectedAtNanos;
    private volatile BandwidthProfile lastApplied;
    private volatile long appliedAtNanos;
    private volatile long confirmedGeneration;
    private volatile long confirmedAtNanos;
    private volatile String lastRejection;
    private volatile int rejections;
    private volatile int rollbacks;
    private volatile String decommissioned;

    SimulatedDevice(int index, SimulatedBox box, Credentials credentials, StateStore stateStore,
                    FleetListener fleetListener, Function<SimulatedDevice, Agent> agentFactory) {
        this.index = index;
        this.box = box;
        this.credentials = credentials;
        this.stateStore = stateStore;
        this.fleetListener = fleetListener;
        this.agentFactory = agentFactory;
    }

    /** Builds a fresh agent over the same box, credentials and saved state, and starts it. */
    public synchronized CompletionStage<Void> start() {
        if (agent != null && !agent.terminated().toCompletableFuture().isDone()) {
            return CompletableFuture.failedFuture(new IllegalStateException(serial() + " is already running"));
        }
        box.powerOn();
        agent = agentFactory.apply(this);
        return agent.start();
    }

    /** Stops the agent (a clean shutdown: the session closes, shaping and saved state stay). */
    public CompletionStage<Void> stop() {
        Agent running = agent;
        return running == null ? CompletableFuture.completedFuture(null) : running.stop();
    }

    public int index() {
        return index;
    }

    public String serial() {
        return box.serial();
    }

    public SimulatedBox box() {
        return box;
    }

    public Credentials credentials() {
        return credentials;
    }

    FleetListener fleetListener() {
        return fleetListener;
    }

    StateStore stateStore() {
        return stateStore;
    }

    /** The running agent, or null before the first start. */
    public Agent agent() {
        return agent;
    }

    public AgentStatus status() {
        Agent running = agent;
        return running == null ? null : running.status();
    }

    public boolean connected() {
        return sessionId != null;
    }

    public String sessionId() {
        return sessionId;
    }

    /** How many sessions this box established since it was made. */
    public int sessions() {
        return sessions;
    }

    public long connectedAtNanos() {
        return connectedAtNanos;
    }

    public BandwidthProfile lastApplied() {
        return lastApplied;
    }

    public long appliedAtNanos() {
        return appliedAtNanos;
    }

    public long confirmedGeneration() {
        return confirmedGeneration;
    }

    public long confirmedAtNanos() {
        return confirmedAtNanos;
    }

    /** The profile the box enforces and the server confirmed, or null. */
    public BandwidthProfile confirmedProfile() {
        BandwidthProfile applied = lastApplied;
        return applied != null && applied.generation() == confirmedGeneration ? applied : null;
    }

    public String lastRejection() {
        return lastRejection;
    }

    public int rejections() {
        return rejections;
    }

    public int rollbacks() {
        return rollbacks;
    }

    public String decommissioned() {
        return decommissioned;
    }

    @Override
    public void connected(String sessionId) {
        this.sessionId = sessionId;
        sessions++;
        connectedAtNanos = System.nanoTime();
        fleetListener.connected(this);
    }

    @Override
    public void disconnected(String reason) {
        boolean wasConnected = sessionId != null;
        sessionId = null;
        if (wasConnected) {
            fleetListener.disconnected(this, reason);
        }
    }

    @Override
    public void profileApplied(BandwidthProfile profile) {
        lastApplied = profile;
        appliedAtNanos = System.nanoTime();
        fleetListener.applied(this, profile);
    }

    @Override
    public void rejected(long generation, String detail) {
        if (!box.isPowered()) {
            return;
        }
        lastRejection = detail;
        rejections++;
        fleetListener.rejected(this, generation, detail);
    }

    @Override
    public void rolledBack(long generation) {
        rollbacks++;
        AgentStatus status = status();
        lastApplied = status == null ? null : status.applied();
        fleetListener.rolledBack(this, generation);
    }

    @Override
    public void confirmed(long generation) {
        confirmedGeneration = generation;
        confirmedAtNanos = System.nanoTime();
        fleetListener.confirmed(this, generation);
    }

    @Override
    public void retryAfter(int seconds) {
        fleetListener.retryAfter(this, seconds);
    }

    @Override
    public void decommissioned(String reason) {
        decommissioned = reason;
        if (sessionId != null) {
            sessionId = null;
            fleetListener.disconnected(this, "decommissioned: " + reason);
        }
        fleetListener.decommissioned(this, reason);
    }

    @Override
    public String toString() {
        return serial();
    }
}
