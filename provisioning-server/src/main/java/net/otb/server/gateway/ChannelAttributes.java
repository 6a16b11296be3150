package net.otb.server.gateway;

import io.netty.util.AttributeKey;

/** What the gateway keeps on an agent channel: the identity read once from the TLS session. */
public final class ChannelAttributes {

    /** The verified certificate's CN (the box serial). */
    public static final AttributeKey<String> DEVICE_ID = AttributeKey.valueOf("otb.deviceId");

    /** The verified certificate's serial, hex. */
    public static final AttributeKey<String> CERTIFICATE_SERIAL = AttributeKey.valueOf("otb.certificateSerial");

    /** The session's fencing token, from its accepted hello: every write for the box carries it. */
    public static final AttributeKey<Long> OWNER_TOKEN = AttributeKey.valueOf("otb.ownerToken");

    /** {@link System#nanoTime()} when the TCP connection opened: the start of the session's set-up. */
    public static final AttributeKey<Long> CONNECTED_NANOS = AttributeKey.valueOf("otb.connectedNanos");

    private ChannelAttributes() {
    }
}
