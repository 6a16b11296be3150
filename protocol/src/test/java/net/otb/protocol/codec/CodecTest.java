package net.otb.protocol.codec;

import static net.otb.protocol.testing.Frames.concat;
import static net.otb.protocol.testing.Frames.encode;
import static net.otb.protocol.testing.Frames.feed;
import static net.otb.protocol.testing.Frames.frame;
import static net.otb.protocol.testing.Frames.written;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.testing.Frames;
import net.otb.protocol.testing.Frames.Recorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CodecTest {

    /** One sample per message shape (several for the variants that change the JSON). */
    static List<Message> samples() {
        return WireSamples.all().stream().map(WireSamples.Sample::message).toList();
    }

    final Recorder recorder = new Recorder();
    final EmbeddedChannel channel = Frames.channel(recorder);

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
        recorder.messages.forEach(io.netty.util.ReferenceCountUtil::release);
    }

    @Test
    void theSamplesCoverEveryMessageType() {
        Set<Class<?>> covered = samples().stream().map(Object::getClass).collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrder(Message.class.getPermittedSubclasses());
    }

    @ParameterizedTest
    @MethodSource("samples")
    void everyMessageRoundTripsThroughTheEncoderAndTheDecoders(Message message) {
        assertThat(channel.writeOutbound(message)).isTrue();
        ByteBuf wire = channel.readOutbound();
        channel.writeInbound(wire);

        assertThat(recorder.messages).containsExactly(message);
        assertThat(channel.isOpen()).isTrue();
        assertThat(recorder.failures).isEmpty();
    }

    @Test
    void theWireFormatIsABigEndianLengthThenTheJsonObjectWithItsType() {
        channel.writeOutbound(new Ping(7));
        ByteBuf wire = channel.readOutbound();
        try {
            String json = "{\"type\":\"ping\",\"seq\":7}";
            assertThat(wire.readInt()).isEqualTo(json.length());
            assertThat(wire.toString(StandardCharsets.UTF_8)).isEqualTo(json);
        } finally {
            wire.release();
        }
    }

    @Test
    void aFrameSplitIntoSingleBytesIsDecodedOnceComplete() {
        byte[] bytes = encode(new Confirm(9));
        for (int i = 0; i < bytes.length - 1; i++) {
            feed(channel, new byte[] {bytes[i]});
            assertThat(recorder.messages).isEmpty();
        }
        feed(channel, new byte[] {bytes[bytes.length - 1]});

        assertThat(recorder.messages).containsExactly(new Confirm(9));
    }

    @Test
    void coalescedFramesAreDecodedInOrder() {
        byte[] three = concat(encode(new Ping(1)), encode(new Confirm(2)), encode(new Pong(1)));
        // the third frame is cut across two reads
        feed(channel, Arrays.copyOf(three, three.length - 3));
        feed(channel, Arrays.copyOfRange(three, three.length - 3, three.length));

        assertThat(recorder.messages).containsExactly(new Ping(1), new Confirm(2), new Pong(1));
    }

    @Test
    void aFrameOfExactlyTheMaximumLengthIsAccepted() {
        String head = "{\"type\":\"ping\",\"seq\":5,\"pad\":\"";
        String pad = "x".repeat(FrameDecoder.MAX_FRAME_LENGTH - head.length() - 2);
        feed(channel, frame(head + pad + "\"}"));

        assertThat(recorder.messages).containsExactly(new Ping(5));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE, FrameDecoder.MAX_FRAME_LENGTH + 1, Integer.MAX_VALUE})
    void aLengthOutOfBoundsIsRefusedAsSoonAsTheLengthArrives(int length) {
        // only the length field: the decoder must not wait for (or allocate) the announced payload
        feed(channel, new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
                (byte) length});

        assertClosedWith(ErrorCode.MALFORMED_FRAME, "frame length " + length);
    }

    @Test
    void aGoodFrameCoalescedBehindABadOneIsNeverDelivered() {
        feed(channel, concat(encode(new Ping(1)), frame("[1]"), encode(new Ping(2))));

        assertThat(recorder.messages).containsExactly(new Ping(1));
        assertClosedWith(ErrorCode.INVALID_MESSAGE, "one JSON object");
    }

    @Test
    void aConnectionThatEndsInsideAFrameIsAViolation() {
        byte[] ping = encode(new Ping(1));
        feed(channel, Arrays.copyOf(ping, ping.length - 1));
        channel.close();

        assertThat(recorder.messages).isEmpty();
        assertThat(recorder.failures).singleElement()
                .isInstanceOfSatisfying(ProtocolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e).hasMessageContaining("ended inside a frame");
                });
    }

    @Test
    void aConnectionThatEndsInsideTheLengthFieldIsAViolation() {
        feed(channel, new byte[] {0, 0});
        channel.close();

        assertThat(recorder.failures).singleElement().isInstanceOf(ProtocolException.class);
    }

    @Test
    void aConnectionThatEndsBetweenFramesIsNotAViolation() {
        feed(channel, encode(new Ping(1)));
        channel.close();

        assertThat(recorder.messages).containsExactly(new Ping(1));
        assertThat(recorder.failures).isEmpty();
    }

    static List<byte[]> notUtf8() {
        return List.of(
                bytes("{\"type\":\"ping\",\"seq\":1,\"x\":\"", new byte[] {(byte) 0xff}, "\"}"),
                // an overlong encoding of '/'
                bytes("{\"type\":\"ping\",\"seq\":1,\"x\":\"", new byte[] {(byte) 0xc0, (byte) 0xaf}, "\"}"),
                // a lone surrogate (CESU-8)
                bytes("{\"type\":\"ping\",\"seq\":1,\"x\":\"", new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                        "\"}"),
                // cut inside a multi-byte character
                bytes("{\"type\":\"decommission\",\"reason\":\"caf", new byte[] {(byte) 0xc3}, "\"}"),
                // UTF-16LE, which Jackson would otherwise detect and accept
                "{\"type\":\"ping\",\"seq\":1}".getBytes(StandardCharsets.UTF_16LE),
                "{\"type\":\"ping\",\"seq\":1}".getBytes(StandardCharsets.UTF_16BE),
                bytes("{\"type\":\"ping\",\"seq\":1,\"x\":\"", new byte[] {0}, "\"}"));
    }

    @ParameterizedTest
    @MethodSource("notUtf8")
    void aFrameThatIsNotStrictUtf8IsRefused(byte[] payload) {
        feed(channel, frame(payload));

        assertClosedWith(ErrorCode.INVALID_MESSAGE, "not UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1]", "\"ping\"", "42", "null", "true", "   ", "\uFEFF{\"type\":\"ping\",\"seq\":1}",
            "{", "{\"type\":\"ping\",\"seq\":1", "{\"type\":\"ping\",\"seq\":1} {}", "{\"type\":\"ping\",\"seq\":1}]",
            "{'type':'ping','seq':1}", "{type:\"ping\",seq:1}", "{\"type\":\"ping\",\"seq\":1,}"})
    void aFrameThatIsNotOneJsonObjectIsRefused(String payload) {
        feed(channel, frame(payload));

        assertClosedWith(ErrorCode.INVALID_MESSAGE, "");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"seq\":1}",
        "{\"type\":null,\"seq\":1}",
        "{\"type\":5,\"seq\":1}",
        "{\"type\":[\"ping\"],\"seq\":1}",
        "{\"type\":\"ping\"}",
        "{\"type\":\"ping\",\"seq\":null}",
        "{\"type\":\"ping\",\"seq\":\"1\"}",
        "{\"type\":\"ping\",\"seq\":1.5}",
        "{\"type\":\"ping\",\"seq\":true}",
        "{\"type\":\"ping\",\"seq\":-1}",
        "{\"type\":\"ping\",\"seq\":99999999999999999999}",
        "{\"type\":\"ping\",\"seq\":1,\"seq\":2}",
        "{\"type\":\"ping\",\"type\":\"pong\",\"seq\":1}",
        "{\"type\":\"confirm\"}",
        "{\"type\":\"confirm\",\"generation\":0}",
        "{\"type\":\"welcome\",\"protocol\":1,\"sessionId\":\"s\"}",
        "{\"type\":\"applied\",\"generation\":3,\"status\":\"done\"}",
        "{\"type\":\"applied\",\"generation\":3}",
        "{\"type\":\"retryAfter\",\"seconds\":0}",
        "{\"type\":\"decommission\"}",
        "{\"type\":\"decommission\",\"reason\":{}}",
        "{\"type\":\"error\",\"detail\":\"x\"}",
        "{\"type\":\"hello\",\"protocols\":\"1\",\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"}",
        "{\"type\":\"hello\",\"protocols\":[],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"}",
        "{\"type\":\"hello\",\"protocols\":[null],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"}",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"../etc\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"}",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"capabilities\":[null]}",
        "{\"type\":\"profile\",\"generation\":1,\"serviceName\":\"s\",\"offer\":\"o\",\"downKbps\":1,\"upKbps\":1,\"serviceIp\":\"example.com\",\"confirmSeconds\":5}",
    })
    void aMessageWithMissingOrWronglyTypedFieldsIsRefused(String payload) {
        feed(channel, frame(payload));

        assertThat(recorder.messages).isEmpty();
        assertClosedWith(ErrorCode.INVALID_MESSAGE, "");
    }

    @Test
    void jsonNestedDeeperThanTheLimitIsRefusedEvenInAnUnknownField() {
        int depth = 1_000;
        String json = "{\"type\":\"ping\",\"seq\":1,\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        feed(channel, frame(json));

        assertClosedWith(ErrorCode.INVALID_MESSAGE, "nesting depth");
    }

    @Test
    void shallowNestingInAnUnknownFieldIsIgnored() {
        feed(channel, frame("{\"type\":\"ping\",\"seq\":3,\"future\":{\"a\":[1,{\"b\":[2]}],\"c\":null}}"));

        assertThat(recorder.messages).containsExactly(new Ping(3));
    }

    @Test
    void unknownFieldsAreIgnored() {
        feed(channel, frame("{\"extra\":true,\"type\":\"confirm\",\"generation\":8,\"note\":\"from v2\"}"));

        assertThat(recorder.messages).containsExactly(new Confirm(8));
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void anUnknownTypeIsDeliveredAsAValueAndTheChannelStaysOpen() {
        feed(channel, concat(frame("{\"type\":\"futureThing\",\"x\":1}"), encode(new Ping(4))));

        assertThat(recorder.messages).containsExactly(new UnknownMessage("futureThing"), new Ping(4));
        assertThat(channel.isOpen()).isTrue();
        assertThat(written(channel)).isEmpty();
    }

    @Test
    void aPipelineWithoutTheMessageStageFailsLoudlyInsteadOfPassingRawFrames() {
        Recorder raw = new Recorder();
        EmbeddedChannel misbuilt = new EmbeddedChannel(new FrameDecoder(), MessageEncoder.INSTANCE, raw,
                LastResortHandler.INSTANCE);
        feed(misbuilt, encode(new Ping(1)));

        assertThat(raw.messages).isEmpty();
        assertThat(misbuilt.isOpen()).isFalse();
        assertThat(written(misbuilt)).containsExactly(ErrorMessage.of(ErrorCode.INTERNAL, "internal error"));
        misbuilt.finishAndReleaseAll();
    }

    @Test
    void theEncoderRefusesAMessageOverTheFrameLimitAndWritesNothing() {
        // control characters are escaped as six bytes each: 32 K of them make 192 KB of JSON
        ChannelFuture write = channel.writeAndFlush(new CertificateChain("\u0001".repeat(32_768)));

        assertThat(write.isSuccess()).isFalse();
        assertThat(write.cause()).hasMessageContaining("over the frame limit");
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void aSecondViolationDoesNotAnswerTwice() {
        Disconnector.sendAndClose(channel, ErrorCode.TIMEOUT, "no hello");
        Disconnector.sendAndClose(channel, ErrorCode.INVALID_MESSAGE, "late");

        assertThat(written(channel)).containsExactly(ErrorMessage.of(ErrorCode.TIMEOUT, "no hello"));
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void theFallbackCloseIsCancelledOnceTheChannelClosesSoNoTaskLingers() {
        Disconnector.sendAndClose(channel, ErrorCode.SHUTDOWN, "bye");

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.runScheduledPendingTasks()).isEqualTo(-1);
    }

    @Test
    void aPeerThatNeverReadsIsClosedAfterTheGrace() {
        Recorder session = new Recorder();
        EmbeddedChannel stuck = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                // the socket's buffer is full: the write never completes
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        }, new FrameDecoder(), MessageDecoder.INSTANCE, MessageEncoder.INSTANCE, session,
                LastResortHandler.INSTANCE);
        Disconnector.sendAndClose(stuck, ErrorCode.TIMEOUT, "no hello");
        assertThat(stuck.isOpen()).isTrue();

        stuck.advanceTimeBy(Disconnector.CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        stuck.runScheduledPendingTasks();

        assertThat(stuck.isOpen()).isFalse();
        stuck.finishAndReleaseAll();
    }

    private void assertClosedWith(ErrorCode code, String detailPart) {
        assertThat(written(channel)).singleElement().isInstanceOfSatisfying(ErrorMessage.class, error -> {
            assertThat(error.code()).isEqualTo(code.wire());
            assertThat(error.detail()).contains(detailPart);
        });
        assertThat(channel.isOpen()).isFalse();
    }

    private static byte[] bytes(String head, byte[] middle, String tail) {
        return concat(head.getBytes(StandardCharsets.UTF_8), middle, tail.getBytes(StandardCharsets.UTF_8));
    }
}
