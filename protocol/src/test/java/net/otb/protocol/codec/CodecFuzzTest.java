package net.otb.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Message;
import net.otb.protocol.testing.Frames;

/**
 * Jazzer on the agent ↔ server codec. In every build the inputs under {@code CodecFuzzTestInputs/} (real
 * messages as the encoder writes them, and every input a fuzzing run found) are replayed; {@code JAZZER_FUZZ=1}
 * fuzzes one method for its {@code maxDuration} (docs/reliability.md).
 */
class CodecFuzzTest {

    /**
     * Any byte stream through the production pipeline ends in messages and an open channel, or in exactly one
     * {@code error} (malformedFrame / invalidMessage) and a close; nothing escapes past the codec, every buffer is
     * released.
     */
    @FuzzTest(maxDuration = "5m")
    void anyStreamEndsInMessagesOrInOneErrorAndAClose(byte[] stream) {
        if (stream.length == 0) {
            // no read at all (Unpooled's shared empty buffer is never released)
            return;
        }
        Frames.Recorder recorder = new Frames.Recorder();
        EmbeddedChannel channel = Frames.channel(recorder);
        ByteBuf input = Unpooled.wrappedBuffer(stream);
        List<Object> written;
        boolean open;
        try {
            channel.writeInbound(input);
            open = channel.isOpen();
            written = Frames.written(channel);
            channel.close();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
        assertThat(input.refCnt()).as("input released").isZero();
        assertThat(recorder.messages).allSatisfy(m -> assertThat(m).isInstanceOfAny(Message.class,
                UnknownMessage.class));
        if (written.isEmpty()) {
            assertThat(open).isTrue();
        } else {
            assertThat(written).hasSize(1);
            assertThat(written.get(0)).isInstanceOf(ErrorMessage.class);
            assertThat(((ErrorMessage) written.get(0)).code()).isIn(ErrorCode.MALFORMED_FRAME.wire(),
                    ErrorCode.INVALID_MESSAGE.wire());
            assertThat(open).isFalse();
        }
    }

    /**
     * One frame's payload is a message, an unknown type, or a {@link ProtocolException} of {@code invalidMessage}
     * with a short one-line reason; a message read is written back to bytes that read as the same message.
     */
    @FuzzTest(maxDuration = "5m")
    void aPayloadIsAMessageThatRoundTripsOrOneInvalidMessageRefusal(byte[] payload) {
        Object decoded;
        try {
            decoded = MessageDecoder.INSTANCE.decode(Unpooled.wrappedBuffer(payload));
        } catch (ProtocolException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MESSAGE);
            // one short line even when it echoes the peer's input (which may hold anything, backticks included)
            String detail = e.getMessage();
            assertThat(detail).hasSizeBetween(1, MessageMapper.MAX_DETAIL_LENGTH);
            assertThat(detail.chars()).noneMatch(Character::isISOControl);
            assertThat(isWellFormedUtf16(detail)).as("no lone surrogate in %s", detail).isTrue();
            return;
        }
        if (decoded instanceof UnknownMessage unknown) {
            assertThat(unknown.type()).hasSizeLessThanOrEqualTo(64);
            // both peers answer an unknown type by naming it: that answer must be writable
            assertRoundTrip(ErrorMessage.of(ErrorCode.UNSUPPORTED, "unknown message type " + unknown.type()));
            return;
        }
        assertRoundTrip((Message) decoded);
    }

    private static boolean isWellFormedUtf16(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static void assertRoundTrip(Message message) {
        byte[] again = MessageMapper.instance().write(message);
        assertThat(MessageMapper.instance().read(again, 0, again.length)).isEqualTo(message);
    }
}
