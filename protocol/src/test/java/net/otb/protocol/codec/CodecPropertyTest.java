package net.otb.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Message;
import net.otb.protocol.testing.Frames;
import net.otb.protocol.testing.Frames.Recorder;

/**
 * Whatever bytes arrive, nothing escapes past the codec: the pipeline ends either with messages and an open
 * channel, or with exactly one {@code error} frame and a closed channel; every buffer is released.
 */
class CodecPropertyTest {

    @Property(tries = 400)
    void randomBytesNeverEscapeTheCodec(@ForAll("chunks") List<byte[]> chunks) {
        Outcome outcome = run(chunks);

        outcome.assertContained();
    }

    @Property(tries = 400)
    void mutatedValidFramesEndInMessagesOrInOneErrorAndAClose(
            @ForAll("mutatedStreams") Tuple.Tuple2<List<Message>, byte[]> stream, @ForAll("cuts") List<Integer> cuts) {
        Outcome outcome = run(split(stream.get2(), cuts));

        outcome.assertContained();
        if (outcome.error == null) {
            // nothing was refused: all that was delivered are messages
            assertThat(outcome.delivered).allSatisfy(m -> assertThat(m).isInstanceOfAny(Message.class,
                    UnknownMessage.class));
        }
    }

    @Property(tries = 200)
    void validFramesInAnyChunkingYieldExactlyTheirMessages(@ForAll("messageLists") List<Message> messages,
                                                           @ForAll("cuts") List<Integer> cuts) {
        byte[] all = Frames.concat(messages.stream().map(Frames::encode).toArray(byte[][]::new));
        Outcome outcome = run(split(all, cuts));

        assertThat(outcome.error).isNull();
        assertThat(outcome.delivered).containsExactlyElementsOf(messages);
        assertThat(outcome.escaped).isEmpty();
        assertThat(outcome.inputsReleased).isTrue();
    }

    @Property(tries = 400)
    void everyRefusalOfAPayloadIsOneShortLineWithoutJacksonAdvice(@ForAll("payloads") String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        try {
            Object read = MessageMapper.instance().read(bytes, 0, bytes.length);
            assertThat(read).isInstanceOfAny(Message.class, UnknownMessage.class);
        } catch (ProtocolException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MESSAGE);
            assertThat(e.getMessage()).hasSizeBetween(1, MessageMapper.MAX_DETAIL_LENGTH)
                    .doesNotContain("\n", "\r", "`", "Feature", "[Source");
        }
    }

    /** Valid messages with a few characters changed or inserted: mostly JSON, often wrong. */
    @Provide
    Arbitrary<String> payloads() {
        Arbitrary<String> valid = Arbitraries.of(CodecTest.samples()).map(m -> new String(MessageMapper.instance()
                .write(m), StandardCharsets.UTF_8));
        Arbitrary<String> noise = Arbitraries.strings().withChars("{}[]\":,.-+e0159tfnul\\ \u0001\u00e9")
                .ofMaxLength(4);
        return Combinators.combine(valid, Arbitraries.integers().between(0, 400), noise, Arbitraries.of(true, false))
                .as((json, at, text, replace) -> {
                    int i = at % (json.length() + 1);
                    int end = replace ? Math.min(json.length(), i + text.length()) : i;
                    return json.substring(0, i) + text + json.substring(end);
                });
    }

    @Provide
    Arbitrary<List<byte[]>> chunks() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        // a plausible length prefix makes the decoder reach the JSON stage more often than pure noise would
        Arbitrary<byte[]> framed = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300)
                .map(Frames::frame);
        Arbitrary<byte[]> jsonish = Arbitraries.strings().withChars("{}[]\":,type pingseq0123456789.-tfnul\\")
                .ofMaxLength(80).map(Frames::frame);
        return Arbitraries.oneOf(random, framed, jsonish).list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<Message>> messageLists() {
        return Arbitraries.of(CodecTest.samples()).list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<Integer>> cuts() {
        return Arbitraries.integers().between(0, 2_000).list().ofMaxSize(5);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<List<Message>, byte[]>> mutatedStreams() {
        Arbitrary<Mutation> mutation = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.integers().between(0, 10_000), Arbitraries.bytes())
                        .as((at, value) -> bytes -> set(bytes, at, value)),
                Arbitraries.integers().between(0, 10_000)
                        .map(at -> bytes -> Arrays.copyOf(bytes, at % (bytes.length + 1))),
                Combinators.combine(Arbitraries.integers().between(0, 10_000),
                                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8))
                        .as((at, inserted) -> bytes -> insert(bytes, at, inserted)),
                Arbitraries.integers().between(0, 10_000).map(at -> bytes -> remove(bytes, at)));
        return Combinators.combine(messageLists(), mutation.list().ofMinSize(1).ofMaxSize(3))
                .as((messages, mutations) -> {
            byte[] bytes = Frames.concat(messages.stream().map(Frames::encode).toArray(byte[][]::new));
            for (Mutation m : mutations) {
                bytes = m.apply(bytes);
            }
            return Tuple.of(messages, bytes);
        });
    }

    interface Mutation {
        byte[] apply(byte[] bytes);
    }

    private static byte[] set(byte[] bytes, int at, byte value) {
        if (bytes.length == 0) {
            return bytes;
        }
        byte[] copy = bytes.clone();
        copy[at % copy.length] = value;
        return copy;
    }

    private static byte[] insert(byte[] bytes, int at, byte[] inserted) {
        int i = at % (bytes.length + 1);
        return Frames.concat(Arrays.copyOf(bytes, i), inserted, Arrays.copyOfRange(bytes, i, bytes.length));
    }

    private static byte[] remove(byte[] bytes, int at) {
        if (bytes.length == 0) {
            return bytes;
        }
        int i = at % bytes.length;
        return Frames.concat(Arrays.copyOf(bytes, i), Arrays.copyOfRange(bytes, i + 1, bytes.length));
    }

    private static List<byte[]> split(byte[] bytes, List<Integer> cuts) {
        List<Integer> points = new ArrayList<>();
        cuts.forEach(c -> points.add(c % (bytes.length + 1)));
        points.add(0);
        points.add(bytes.length);
        points.sort(null);
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 1; i < points.size(); i++) {
            chunks.add(Arrays.copyOfRange(bytes, points.get(i - 1), points.get(i)));
        }
        return chunks;
    }

    /** What came out of one run: delivered messages, the error written (if any), and what escaped. */
    static final class Outcome {
        List<Object> delivered;
        ErrorMessage error;
        List<Object> writtenFrames;
        List<Throwable> escaped = new ArrayList<>();
        boolean openAfterInput;
        boolean inputsReleased;

        void assertContained() {
            assertThat(escaped).as("exceptions past the codec").isEmpty();
            assertThat(inputsReleased).as("input buffers released").isTrue();
            assertThat(delivered).allSatisfy(m -> assertThat(m).isInstanceOfAny(Message.class, UnknownMessage.class));
            if (error != null) {
                assertThat(writtenFrames).as("one error, nothing else").hasSize(1);
                assertThat(error.code()).isIn(ErrorCode.MALFORMED_FRAME.wire(), ErrorCode.INVALID_MESSAGE.wire());
                assertThat(openAfterInput).as("closed after the error").isFalse();
            } else {
                assertThat(writtenFrames).isEmpty();
            }
        }
    }

    private static Outcome run(List<byte[]> chunks) {
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = Frames.channel(recorder);
        Outcome outcome = new Outcome();
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            for (byte[] chunk : chunks) {
                if (!channel.isOpen()) {
                    break;
                }
                if (chunk.length == 0) {
                    // an empty read: Unpooled hands out its shared, never-released empty buffer
                    continue;
                }
                ByteBuf buf = Unpooled.wrappedBuffer(chunk);
                inputs.add(buf);
                channel.writeInbound(buf);
            }
            outcome.openAfterInput = channel.isOpen();
            outcome.writtenFrames = Frames.written(channel);
            outcome.error = outcome.writtenFrames.stream().filter(ErrorMessage.class::isInstance)
                    .map(ErrorMessage.class::cast).findFirst().orElse(null);
            // the peer goes away: a frame cut at the end must be reported, and nothing may escape
            channel.close();
            channel.checkException();
        } catch (Throwable t) {
            outcome.escaped.add(t);
        } finally {
            channel.finishAndReleaseAll();
        }
        outcome.delivered = recorder.messages;
        outcome.inputsReleased = inputs.stream().allMatch(b -> b.refCnt() == 0);
        return outcome;
    }
}
