package net.otb.server.gateway;

import io.netty.util.AttributeKey;

/** What the gateway keeps on an agent channel: the identity read once from the TLS session. */
public final class ChannelAttributes {

    /** The verified certificate's CN (the box serial). */
    public static final AttributeKey<String> DEVICE_ID = AttributeKey.valueOf("otb.deviceId");

    /** The verified certificate's serial, hex. */
    public static final AttributeKey<String> CERTIFICATE_SERIAL = AttributeKey.valueOf("otb.certificateSerial");

    private ChannelAttributes() {
    }
}
