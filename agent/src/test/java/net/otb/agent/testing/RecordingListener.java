package net.otb.agent.testing;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.otb.agent.AgentListener;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.Certificates;

/**
 * Records an agent's events as short strings ({@code connected:<session>}, {@code applied:<generation>},
 * {@code rejected:<generation>:<detail>}, {@code rolledBack:<generation>}, {@code confirmed:<generation>},
 * {@code decommissioned:<reason>}, {@code renewed:<serial>}, {@code retryAfter:<seconds>},
 * {@code disconnected:<reason>}) and lets a test wait for them with a deadline.
 */
public final class RecordingListener implements AgentListener {

    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> all = new CopyOnWriteArrayList<>();

    private void record(String event) {
        all.add(event);
        pending.add(event);
    }

    /** Waits for the next event starting with {@code prefix}, skipping others; returns it. */
    public String await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String event = pending.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (event == null) {
                throw new AssertionError("no '" + prefix + "' event within " + timeout + "; events so far: " + all);
            }
            if (event.startsWith(prefix)) {
                return event;
            }
        }
    }

    /** Every event so far, in order. */
    public List<String> all() {
        return List.copyOf(all);
    }

    @Override
    public void connected(String sessionId) {
        record("connected:" + sessionId);
    }

    @Override
    public void disconnected(String reason) {
        record("disconnected:" + reason);
    }

    @Override
    public void profileApplied(BandwidthProfile profile) {
        record("applied:" + profile.generation());
    }

    @Override
    public void rejected(long generation, String detail) {
        record("rejected:" + generation + ":" + detail);
    }

    @Override
    public void rolledBack(long generation) {
        record("rolledBack:" + generation);
    }

    @Override
    public void confirmed(long generation) {
        record("confirmed:" + generation);
    }

    @Override
    public void decommissioned(String reason) {
        record("decommissioned:" + reason);
    }

    @Override
    public void certificateRenewed(X509Certificate certificate) {
        record("renewed:" + Certificates.serialHex(certificate));
    }

    @Override
    public void retryAfter(int seconds) {
        record("retryAfter:" + seconds);
    }
}
