package net.otb.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The JSON rules of {@link MessageMapper}, straight on payloads (the pipeline around it is in {@link CodecTest}). */
class MessageMapperTest {

    static final String HELLO_FIELDS =
            "\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"";
    static final String PROFILE_FIELDS =
            "\"generation\":2,\"serviceName\":\"s\",\"offer\":\"o\",\"downKbps\":1,\"upKbps\":2,\"serviceIp\":\"192.0.2.1\"";

    final MessageMapper mapper = MessageMapper.instance();

    static List<WireSamples.Sample> samples() {
        return WireSamples.all();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void everyMessageIsWrittenAsTheSameBytesAsBeforeAndReadBack(WireSamples.Sample sample) {
        byte[] written = mapper.write(sample.message());

        assertThat(new String(written, StandardCharsets.UTF_8)).isEqualTo(sample.json());
        assertThat(mapper.read(written, 0, written.length)).isEqualTo(sample.message());
    }

    @Test
    void theShapesListEveryRecordComponentInDeclarationOrder() {
        List<Object> records = new ArrayList<>(samples().stream().map(WireSamples.Sample::message).toList());
        records.add(WireSamples.PROFILE);
        for (Object record : records) {
            Shape shape = record instanceof Message message ? Shape.forMessage(message) : Shape.BANDWIDTH_PROFILE;
            Class<?> type = record.getClass();

            assertThat(shape.fields).as(type.getSimpleName()).containsExactly(Arrays.stream(type.getRecordComponents())
                    .map(RecordComponent::getName).toArray(String[]::new));
            assertThat(shape.name).isEqualTo(type.getSimpleName());
            assertThat(shape.create(Shape.components(record))).isEqualTo(record);
        }
    }

    @Test
    void aPayloadInsideALargerBufferIsReadFromItsOffset() {
        byte[] buffer = "xx{\"type\":\"ping\",\"seq\":3}yy".getBytes(StandardCharsets.UTF_8);

        assertThat(mapper.read(buffer, 2, buffer.length - 4)).isEqualTo(new Ping(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"seq\":2,\"type\":\"ping\"}",
        "{\"x\":{\"type\":\"pong\",\"y\":[{\"type\":1}]},\"seq\":2,\"type\":\"ping\",\"z\":null}",
        "{\"seq\":2,\"x\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]],\"type\":\"ping\"}",
    })
    void theTypeMayComeAfterOtherFields(String json) {
        assertThat(read(json)).isEqualTo(new Ping(2));
    }

    @Test
    void aNestedTypeFieldIsNotTheMessagesType() {
        assertRefused("{\"x\":{\"type\":\"ping\"},\"seq\":2}", "the message has no type field");
    }

    @Test
    void unknownFieldsOfAnyShapeAreSkippedEvenInsideTheNestedProfile() {
        String json = "{\"type\":\"hello\",\"future\":[{\"a\":[1,2.5,\"x\",true,null]},{}]," + HELLO_FIELDS
                + ",\"applied\":{\"type\":\"x\",\"extra\":{\"deep\":[[]]}," + PROFILE_FIELDS + "}}";

        assertThat(read(json)).isInstanceOfSatisfying(Hello.class, hello -> assertThat(hello.applied())
                .isEqualTo(new BandwidthProfile(2, "s", "o", 1, 2, "192.0.2.1")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"seq\":1}", "{\"type\":null,\"seq\":1}"})
    void aMessageWithoutATypeIsRefused(String json) {
        assertRefused(json, "the message has no type field");
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "1.5", "true", "false", "{}", "[\"ping\"]", "{\"a\":[1]}"})
    void aTypeThatIsNotAStringIsRefused(String type) {
        assertRefused("{\"type\":" + type + ",\"seq\":1}", "the type field must be a string");
        assertRefused("{\"seq\":1,\"type\":" + type + "}", "the type field must be a string");
    }

    @Test
    void anUnknownTypeIsAValueAndTheTypeIsCutTo64Characters() {
        assertThat(read("{\"type\":\"futureThing\",\"x\":{\"y\":[1]}}")).isEqualTo(new UnknownMessage("futureThing"));
        assertThat(read("{\"x\":1,\"type\":\"Ping\"}")).isEqualTo(new UnknownMessage("Ping"));
        assertThat(read("{\"type\":\"" + "a".repeat(100) + "\"}")).isEqualTo(new UnknownMessage("a".repeat(64)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "{\"type\":\"futureThing\",\"x\":[}                  | invalid JSON: Unexpected close marker '}'",
        "{\"type\":\"futureThing\",\"x\":1,\"x\":2}          | invalid JSON: Duplicate field 'x'",
        "{\"type\":\"futureThing\"} 1                         | invalid JSON: an integer after the object",
        "{\"x\":1,\"type\":\"futureThing\",\"y\":tru}         | invalid JSON: Unrecognized token 'tru'",
        "{\"type\":\"futureThing\",\"x\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]} | nesting depth (17) exceeds the maximum allowed (16)",
    })
    void anUnknownTypeIsStillReadToTheEndAsOneValidObject(String json, String detail) {
        assertRefused(json, detail);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        // numbers stand for numbers only
        "{\"type\":\"ping\",\"seq\":\"5\"}            | invalid field seq: expected an integer, got a string",
        "{\"type\":\"ping\",\"seq\":1.5}              | invalid field seq: expected an integer, got a floating-point number",
        "{\"type\":\"ping\",\"seq\":1.0}              | invalid field seq: expected an integer, got a floating-point number",
        "{\"type\":\"ping\",\"seq\":1e3}              | invalid field seq: expected an integer, got a floating-point number",
        "{\"type\":\"ping\",\"seq\":true}             | invalid field seq: expected an integer, got a boolean",
        "{\"type\":\"ping\",\"seq\":[1]}              | invalid field seq: expected an integer, got an array",
        "{\"type\":\"ping\",\"seq\":{}}               | invalid field seq: expected an integer, got an object",
        "{\"type\":\"ping\",\"seq\":null}             | invalid field seq: expected an integer, got null",
        "{\"type\":\"ping\"}                          | invalid field seq: missing, an integer is required",
        "{\"type\":\"ping\",\"seq\":9223372036854775808} | invalid field seq: Numeric value (9223372036854775808) out of range of long",
        "{\"type\":\"welcome\",\"protocol\":null,\"sessionId\":\"s\",\"heartbeatSeconds\":30} | invalid field protocol: expected an integer, got null",
        "{\"type\":\"welcome\",\"protocol\":1,\"sessionId\":\"s\",\"heartbeatSeconds\":2147483648} | invalid field heartbeatSeconds: Numeric value (2147483648) out of range of int",
        "{\"type\":\"welcome\",\"protocol\":1,\"sessionId\":\"s\",\"heartbeatSeconds\":-2147483649} | invalid field heartbeatSeconds: Numeric value (-2147483649) out of range of int",
        "{\"type\":\"welcome\",\"protocol\":1,\"sessionId\":\"s\",\"heartbeatSeconds\":30.0} | invalid field heartbeatSeconds: expected an integer, got a floating-point number",
        "{\"type\":\"retryAfter\"}                    | invalid field seconds: missing, an integer is required",
        // strings stand for strings only
        "{\"type\":\"decommission\",\"reason\":true}  | invalid field reason: expected a string, got a boolean",
        "{\"type\":\"decommission\",\"reason\":5}     | invalid field reason: expected a string, got an integer",
        "{\"type\":\"decommission\",\"reason\":{}}    | invalid field reason: expected a string, got an object",
        "{\"type\":\"applied\",\"generation\":3,\"status\":5} | invalid field status: expected a string, got an integer",
        "{\"type\":\"applied\",\"generation\":3,\"status\":\"applied\",\"detail\":false} | invalid field detail: expected a string, got a boolean",
        // lists and the nested profile, with the path of the field
        "{\"type\":\"hello\",\"protocols\":\"1\",\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"} | invalid field protocols: expected an array of integers, got a string",
        "{\"type\":\"hello\",\"protocols\":[1,\"2\"],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"} | invalid field protocols[1]: expected an integer, got a string",
        "{\"type\":\"hello\",\"protocols\":[3000000000],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"} | invalid field protocols[0]: Numeric value (3000000000) out of range of int",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"capabilities\":[\"a\",1]} | invalid field capabilities[1]: expected a string, got an integer",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"capabilities\":\"a\"} | invalid field capabilities: expected an array of strings, got a string",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"applied\":[]} | invalid field applied: expected an object, got an array",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"applied\":{\"generation\":2,\"downKbps\":\"1\"}} | invalid field applied.downKbps: expected an integer, got a string",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"applied\":{\"generation\":2}} | invalid field applied.downKbps: missing, an integer is required",
    })
    void aValueOfTheWrongJsonTypeIsRefusedAndTheFieldIsNamed(String json, String detail) {
        assertRefused(json, detail);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "{\"type\":\"ping\",\"seq\":-1}                           | invalid Ping: seq must not be negative, got -1",
        "{\"type\":\"decommission\",\"reason\":null}              | invalid Decommission: reason is required",
        "{\"type\":\"decommission\"}                              | invalid Decommission: reason is required",
        "{\"type\":\"applied\",\"generation\":3,\"status\":null}  | invalid Applied: status is required",
        "{\"type\":\"applied\",\"generation\":3,\"status\":\"ROLLED_BACK\"} | invalid Status: status must be applied, rejected or rolledBack, got ROLLED_BACK",
        "{\"type\":\"hello\",\"protocols\":null,\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"} | invalid Hello: protocols is required",
        "{\"type\":\"hello\",\"protocols\":[null],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\"} | invalid Hello: protocols must be at most 16 version numbers",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"capabilities\":[null]} | invalid Hello: capabilities[] is required",
        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB3-1\",\"model\":\"v3\",\"firmware\":\"1\",\"agentVersion\":\"1\",\"applied\":{\"generation\":0,\"serviceName\":\"s\",\"offer\":\"o\",\"downKbps\":1,\"upKbps\":2,\"serviceIp\":\"192.0.2.1\"}} | invalid BandwidthProfile: generation must be positive, got 0",
    })
    void nullsReachTheRecordWhoseCheckNamesTheRecord(String json, String detail) {
        assertRefused(json, detail);
    }

    @Test
    void nullForAnOptionalComponentIsLikeNoField() {
        assertThat(read("{\"type\":\"hello\"," + HELLO_FIELDS + ",\"applied\":null,\"capabilities\":null}"))
                .isEqualTo(new Hello(List.of(1), "OTB3-1", "v3", "1", "1", null, List.of()));
        assertThat(read("{\"type\":\"applied\",\"generation\":3,\"status\":\"rolledBack\",\"detail\":null}"))
                .isEqualTo(new Applied(3, Applied.Status.ROLLED_BACK, null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "{\"type\":\"ping\",\"seq\":1,\"seq\":2}             | Duplicate field 'seq'",
        "{\"type\":\"ping\",\"type\":\"pong\",\"seq\":1}     | Duplicate field 'type'",
        "{\"seq\":1,\"type\":\"ping\",\"type\":\"pong\"}     | Duplicate field 'type'",
        "{\"type\":\"ping\",\"seq\":1,\"x\":{\"a\":1,\"a\":1}} | Duplicate field 'a'",
    })
    void aDuplicateKeyIsRefusedAtAnyDepth(String json, String detail) {
        assertRefused(json, "invalid JSON: " + detail);
    }

    @Test
    void aDuplicateKeyInsideTheNestedProfileIsRefused() {
        assertRefused("{\"type\":\"hello\"," + HELLO_FIELDS + ",\"applied\":{" + PROFILE_FIELDS + ",\"upKbps\":3}}",
                "invalid JSON: Duplicate field 'upKbps'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "{\"type\":\"ping\",\"seq\":1} {}     | invalid JSON: an object after the object",
        "{\"type\":\"ping\",\"seq\":1} 2      | invalid JSON: an integer after the object",
        "{\"seq\":1,\"type\":\"ping\"} \"x\"  | invalid JSON: a string after the object",
        "{\"type\":\"ping\",\"seq\":1}]       | invalid JSON: Unexpected close marker ']'",
    })
    void anythingAfterTheObjectIsRefused(String json, String detail) {
        assertRefused(json, detail);
        assertThat(read(json.substring(0, json.indexOf('}') + 1) + " \n\t")).isEqualTo(new Ping(1));
    }

    @Test
    void nestingUpToTheLimitIsReadAndOneLevelMoreIsRefusedWhereverItIs() {
        // the object itself is level 1
        int inner = MessageMapper.MAX_NESTING_DEPTH - 1;
        String fits = "[".repeat(inner) + "]".repeat(inner);
        String deep = "[".repeat(inner + 1) + "]".repeat(inner + 1);

        assertThat(read("{\"type\":\"ping\",\"seq\":1,\"x\":" + fits + "}")).isEqualTo(new Ping(1));
        for (String json : List.of("{\"type\":\"ping\",\"seq\":1,\"x\":" + deep + "}",
                "{\"x\":" + deep + ",\"type\":\"ping\",\"seq\":1}",
                "{\"type\":\"futureThing\",\"x\":" + deep + "}",
                "{\"type\":\"hello\",\"applied\":{\"x\":" + deep + "}}")) {
            assertRefused(json, "invalid JSON: Document nesting depth (17) exceeds the maximum allowed (16)");
        }
    }

    @Test
    void numbersOfMoreThan32CharactersAreRefusedEvenInUnknownFields() {
        String n32 = "1".repeat(32);

        assertThat(read("{\"type\":\"ping\",\"seq\":1,\"x\":" + n32 + "}")).isEqualTo(new Ping(1));
        assertRefused("{\"type\":\"ping\",\"seq\":1,\"x\":" + n32 + "1}",
                "invalid JSON: Number value length (33) exceeds the maximum allowed (32)");
        assertRefused("{\"type\":\"ping\",\"seq\":1,\"x\":0." + "1".repeat(32) + "}",
                "invalid JSON: Number value length");
    }

    @Test
    void aStringLongerThanAFrameIsRefusedByTheParserBeforeTheRecordSeesIt() {
        // a frame cannot hold one, but read() takes any buffer: the limit is the parser's, not the frame's
        String fits = "x".repeat(FrameDecoder.MAX_FRAME_LENGTH);

        assertRefused("{\"type\":\"decommission\",\"reason\":\"" + fits + "\"}",
                "invalid Decommission: reason is longer than 1024 characters");
        assertRefused("{\"type\":\"decommission\",\"reason\":\"" + fits + "x\"}",
                "invalid JSON: String value length (65537) exceeds the maximum allowed (65536)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"type\":\"ping\",\"seq\":NaN}",
        "{\"type\":\"ping\",\"seq\":+1}",
        "{\"type\":\"ping\",\"seq\":1}/*c*/",
        "{\"type\":\"ping\",\"seq\":01}",
        "{\"type\":\"ping\",\"seq\":1,\"x\":[}",
        "{\"type\":\"ping\",\"seq\":1,\"x\":\"\\q\"}",
        "{\"type\":\"ping\",\"seq\":1,\"x\":\"a\tb\"}",
        "{\"type\":\"ping\",\"seq\":1 \u001e}",
        "{\"type\":\"ping\",'seq':1}",
        "{\"type\":\"ping\",seq:1}",
        "{\"type\":\"ping\",\"seq\":1,}",
        "{\"type\":\"ping\",\"seq\":1",
    })
    void jsonErrorsAreTheParsersWordsWithoutItsAdviceOnSettings(String json) {
        String detail = refusal(json);

        assertThat(detail).startsWith("invalid JSON: ").doesNotContain("`", "Feature", "enable", "[Source", "REDACTED")
                .doesNotEndWith(":").doesNotEndWith("(");
    }

    @Test
    void aRefusalDetailIsOneLineOfAtMost200CharactersWithWholeCharacters() {
        String longStatus = "\\n" + "é".repeat(150) + "\\ud83d\\ude00" + "x".repeat(300);
        String cutInsideAPair = "x".repeat(200 - "invalid Status: status must be applied, rejected or rolledBack, got "
                .length() - 1) + "\\ud83d\\ude00";
        for (String status : List.of(longStatus, "a\\nb\\r\\u0000c", "lone \\ud800 surrogate", cutInsideAPair)) {
            String detail = refusal("{\"type\":\"applied\",\"generation\":1,\"status\":\"" + status + "\"}");

            assertThat(detail).startsWith("invalid Status: ").hasSizeLessThanOrEqualTo(MessageMapper.MAX_DETAIL_LENGTH)
                    .doesNotContain("\n", "\r", "\u0000");
            for (int i = 0; i < detail.length(); i++) {
                char c = detail.charAt(i);
                if (Character.isHighSurrogate(c)) {
                    assertThat(detail.charAt(++i)).matches(Character::isLowSurrogate);
                } else {
                    assertThat(Character.isSurrogate(c)).as("lone surrogate at %d", i).isFalse();
                }
            }
            // the detail goes back to the peer in an error frame
            ErrorMessage answer = ErrorMessage.of(ErrorCode.INVALID_MESSAGE, detail);
            byte[] json = mapper.write(answer);
            assertThat(mapper.read(json, 0, json.length)).isEqualTo(answer);
        }
    }

    @Test
    void oneSharedInstanceReadsAndWritesFromManyThreadsAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                runs.add(pool.submit(() -> {
                    int checked = 0;
                    for (int i = 0; i < 2_000; i++) {
                        Message message = (i + seed) % 2 == 0 ? new Ping(i) : new Pong(i);
                        byte[] json = mapper.write(message);
                        assertThat(mapper.read(json, 0, json.length)).isEqualTo(message);
                        assertThatThrownBy(() -> read("{\"type\":\"ping\",\"seq\":" + seed + ".5}"))
                                .isInstanceOf(ProtocolException.class);
                        checked++;
                    }
                    return checked;
                }));
            }
            for (Future<Integer> run : runs) {
                assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(2_000);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void escapedCharactersAreDecoded() {
        // a JSON escape of '/' and of a non-ASCII letter decode to the same text as the plain form
        assertThat(read("{\"type\":\"decommission\",\"reason\":\"a\\/b \\u00e9\"}"))
                .isEqualTo(new Decommission("a/b é"));
    }

    private Object read(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return mapper.read(bytes, 0, bytes.length);
    }

    private String refusal(String json) {
        try {
            Object result = read(json);
            throw new AssertionError("accepted " + json.substring(0, Math.min(json.length(), 100)) + "... as " + result);
        } catch (ProtocolException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MESSAGE);
            return e.getMessage();
        }
    }

    private void assertRefused(String json, String detailPart) {
        assertThat(refusal(json)).contains(detailPart);
    }
}
