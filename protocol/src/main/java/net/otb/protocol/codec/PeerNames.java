package net.otb.protocol.codec;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** The peer's name for logs: the device id once the TLS handshake has shown it, else "peer". */
public final class PeerNames {

    /** Set on a channel once its peer's certificate has been read. */
    public static final AttributeKey<String> PEER_NAME = AttributeKey.valueOf("otb.peerName");

    private PeerNames() {
    }

    public static String of(Channel channel) {
        String name = channel.attr(PEER_NAME).get();
        return name == null ? "peer" : name;
    }
}
