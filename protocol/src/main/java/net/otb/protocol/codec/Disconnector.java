package net.otb.protocol.codec;

import io.netty.channel.Channel;
import net.otb.protocol.logging.LogFields;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.LogSafe;
import org.slf4j.Logger;

/**
 * The one disconnect policy: log the reason with the peer, answer {@code error}, then close. From that
 * moment the channel is marked closing: {@link FrameDecoder} and {@link MessageDecoder} drop whatever
 * else the peer sent, and a second violation does not answer twice. A peer that does not read is not
 * waited on for long: the close happens after the write or after a short grace, whichever comes first.
 */
public final class Disconnector {

    /** How long a closing channel waits for its last {@code error} to be written. */
    public static final long CLOSE_GRACE_MILLIS = 2_000;

    private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf("otb.closing");

    private Disconnector() {
    }

    /** Logs at info, sends {@code error{code, detail}} and closes the channel. */
    public static void disconnect(Channel channel, Logger log, String who, ErrorCode code, String detail) {
        if (isClosing(channel)) {
            log.debug("event=session.already_closing device={} peer={} code={} detail={}", LogFields.value(who),
                    channel.remoteAddress(), code.wire(), LogFields.value(detail));
            return;
        }
        log.info("event=session.closing device={} peer={} code={} detail={}", LogFields.value(who),
                channel.remoteAddress(), code.wire(), LogFields.value(detail));
        sendAndClose(channel, code, detail);
    }

    /** Sends {@code error{code, detail}} and closes, without logging (the caller did). */
    public static void sendAndClose(Channel channel, ErrorCode code, String detail) {
        if (channel.attr(CLOSING).setIfAbsent(Boolean.TRUE) != null) {
            return;
        }
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        channel.config().setAutoRead(false);
        channel.writeAndFlush(ErrorMessage.of(code, truncate(detail))).addListener(ChannelFutureListener.CLOSE);
        if (channel.isOpen()) {
            // Cancelled on close so that a storm of disconnects does not park one task (and its channel)
            // per connection in the event loop's queue for the whole grace period.
            ScheduledFuture<?> fallback = channel.eventLoop().schedule(() -> {
                channel.close();
            }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            channel.closeFuture().addListener(closed -> fallback.cancel(false));
        }
    }

    /** Whether this channel is being closed by {@link #disconnect} or {@link #sendAndClose}. */
    public static boolean isClosing(Channel channel) {
        return channel.hasAttr(CLOSING) && Boolean.TRUE.equals(channel.attr(CLOSING).get());
    }

    private static String truncate(String detail) {
        if (detail == null || detail.length() <= 1_000) {
            return detail;
        }
        int end = Character.isHighSurrogate(detail.charAt(999)) ? 999 : 1_000;
        return detail.substring(0, end);
    }
}
