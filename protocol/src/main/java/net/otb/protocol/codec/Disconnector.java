package net.otb.protocol.codec;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import org.slf4j.Logger;

/**
 * The one disconnect policy: log the reason with the peer, answer {@code error}, then close. A peer that
 * does not read is not waited on for long: the close happens after the write or after a short grace.
 */
public final class Disconnector {

    /** How long a closing channel waits for its last {@code error} to be written. */
    public static final long CLOSE_GRACE_MILLIS = 2_000;

    private Disconnector() {
    }

    /** Logs at info, sends {@code error{code, detail}} and closes the channel. */
    public static void disconnect(Channel channel, Logger log, String who, ErrorCode code, String detail) {
        log.info("closing {} {}: {} ({})", who, channel.remoteAddress(), code.wire(), detail);
        sendAndClose(channel, code, detail);
    }

    /** Sends {@code error{code, detail}} and closes, without logging (the caller did). */
    public static void sendAndClose(Channel channel, ErrorCode code, String detail) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(false);
        channel.writeAndFlush(ErrorMessage.of(code, truncate(detail))).addListener(ChannelFutureListener.CLOSE);
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static String truncate(String detail) {
        if (detail == null) {
            return null;
        }
        return detail.length() > 1_000 ? detail.substring(0, 1_000) : detail;
    }
}
