package net.otb.server.gateway;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.codec.Disconnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The live session of each box on this instance: one per box, the newest wins. Thread-safe. */
public final class SessionRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

    private final Map<String, Channel> sessions = new ConcurrentHashMap<>();

    /** Makes {@code channel} the box's session; an older session is told {@code superseded} and closed. */
    void register(String deviceId, Channel channel) {
        Channel previous = sessions.put(deviceId, channel);
        if (previous != null && previous != channel) {
            Disconnector.disconnect(previous, LOG, deviceId, ErrorCode.SUPERSEDED,
                    "a newer session of this box (from " + channel.remoteAddress() + ") took over");
        }
    }

    /** Forgets the session if it is still the box's current one. */
    void remove(String deviceId, Channel channel) {
        sessions.remove(deviceId, channel);
    }

    /** The box's live session here, or null. */
    public Channel get(String deviceId) {
        return sessions.get(deviceId);
    }

    public boolean isConnected(String deviceId) {
        return sessions.containsKey(deviceId);
    }

    public int size() {
        return sessions.size();
    }

    /** Each box's live session here. */
    void forEach(java.util.function.BiConsumer<String, Channel> action) {
        sessions.forEach(action);
    }

    /** The boxes with a live session here (a view: it follows the sessions). */
    public java.util.Set<String> connected() {
        return java.util.Collections.unmodifiableSet(sessions.keySet());
    }

    /** Ends every session with {@code code} (e.g. shutdown). */
    void closeAll(ErrorCode code, String detail) {
        List<Channel> all = new ArrayList<>(sessions.values());
        sessions.clear();
        for (Channel channel : all) {
            Disconnector.sendAndClose(channel, code, detail);
        }
    }
}
