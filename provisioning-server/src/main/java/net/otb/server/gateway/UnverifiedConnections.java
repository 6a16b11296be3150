package net.otb.server.gateway;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The connections that have not shown a valid certificate yet (accepted, TLS not done), bounded per source address
 * and in all, so that sockets that say nothing (or a byte at a time) can never hold what a real box needs. A box
 * completes its TLS set-up in milliseconds, so a socket that holds a slot is the oldest: over an address's bound its
 * oldest unverified connection goes; over the total, the oldest of all goes once it has had {@link #GRACE_MILLIS}.
 * When every unverified connection is younger than that (a real storm of boxes), the gateway stops accepting
 * instead ({@link #saturated}), and the kernel's backlog holds the rest until set-ups finish: a box waiting there
 * costs the server nothing. Thread-safe.
 */
final class UnverifiedConnections {

    /** How long a connection may take its TLS set-up before a newer one may push it out. */
    static final long GRACE_MILLIS = 2_000;

    /** What to do to make room for a connection just accepted. */
    record Admission(List<Channel> evicted) {
    }

    private record Entry(InetAddress source, long since) {
    }

    private final int perSource;
    private final int total;
    private final Clock clock;
    private final LinkedHashMap<Channel, Entry> pending = new LinkedHashMap<>();
    private final Map<InetAddress, ArrayDeque<Channel>> bySource = new HashMap<>();

    UnverifiedConnections(int perSource, int total, Clock clock) {
        this.perSource = perSource;
        this.total = total;
        this.clock = clock;
    }

    /** Counts a connection just accepted; returns the older unverified connections to close to make room for it. */
    synchronized Admission accepted(Channel channel, InetAddress source) {
        long now = clock.millis();
        List<Channel> evicted = new ArrayList<>(1);
        ArrayDeque<Channel> mine = bySource.get(source);
        if (mine != null && mine.size() >= perSource) {
            // one address holds its share: its oldest goes, whatever its age (a box finishes its handshake in
            // milliseconds, so the oldest of an address's many is a socket holding a slot, not a box)
            Channel oldest = mine.peekFirst();
            remove(oldest);
            evicted.add(oldest);
        }
        if (pending.size() >= total) {
            Map.Entry<Channel, Entry> oldest = pending.entrySet().iterator().next();
            if (now - oldest.getValue().since() >= GRACE_MILLIS) {
                Channel victim = oldest.getKey();
                remove(victim);
                evicted.add(victim);
            }
        }
        pending.put(channel, new Entry(source, now));
        bySource.computeIfAbsent(source, s -> new ArrayDeque<>()).addLast(channel);
        return new Admission(evicted);
    }

    /** The connection showed a valid certificate, failed its handshake, or closed: it counts no more. */
    synchronized void done(Channel channel) {
        remove(channel);
    }

    /**
     * Whether the bound is reached with every unverified connection still within its grace: accepting more would
     * only push out boxes in the middle of their handshake, so the gateway stops accepting for now.
     */
    synchronized boolean saturated() {
        if (pending.size() < total) {
            return false;
        }
        Entry oldest = pending.values().iterator().next();
        return clock.millis() - oldest.since() < GRACE_MILLIS;
    }

    /** Whether more than half the bound is taken: new connections get a shorter handshake deadline. */
    synchronized boolean underPressure() {
        return pending.size() * 2 > total;
    }

    synchronized int size() {
        return pending.size();
    }

    private void remove(Channel channel) {
        Entry entry = pending.remove(channel);
        if (entry == null) {
            return;
        }
        ArrayDeque<Channel> mine = bySource.get(entry.source());
        if (mine != null) {
            mine.remove(channel);
            if (mine.isEmpty()) {
                bySource.remove(entry.source());
            }
        }
    }
}
