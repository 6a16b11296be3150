package net.otb.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import net.otb.protocol.BandwidthProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DirectoryStateStoreTest {

    @TempDir
    Path dir;

    static BandwidthProfile profile(long generation) {
        return new BandwidthProfile(generation, "otb-svc-1", "starter.v1", 500_000, 500_000, "2001:db8::7");
    }

    @Test
    void aFirstStartHasAnEmptyState() throws Exception {
        assertThat(StateStore.directory(dir.resolve("fresh")).load()).isEqualTo(AgentState.EMPTY);
    }

    @Test
    void theStateRoundTripsAndAnotherStoreOnTheFolderReadsIt() throws Exception {
        AgentState state = new AgentState(profile(3), profile(2), new AgentState.PendingConfirm(3, 1_700_000_000_000L),
                1L, null);
        StateStore.directory(dir).save(state);
        assertThat(StateStore.directory(dir).load()).isEqualTo(state);
        assertThat(Files.readString(dir.resolve("state.json"))).contains("\"generation\" : 3");
    }

    @Test
    void anUnreadableStateIsRefusedWithItsPathNotReplacedByNothing() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"applied\": {\"generation\": 3, \"serviceName\"");
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageContaining("state.json");
        assertThat(dir.resolve("state.json")).exists();
    }

    @Test
    void aStateBreakingItsRulesIsRefused() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"applied\":null,\"pending\":{\"generation\":4,"
                + "\"deadlineEpochMillis\":1}}");
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageContaining("pending confirm");
    }

    /** The fields of a valid profile but its generation. */
    private static final String PROFILE = "\"serviceName\":\"otb-svc-1\",\"offer\":\"starter.v1\",\"downKbps\":1,"
            + "\"upKbps\":1,\"serviceIp\":\"192.0.2.1\"";

    static Stream<Arguments> filesThatAreNotAState() {
        return Stream.of(
                Arguments.of("", "empty state file"),
                Arguments.of(" \n", "empty state file"),
                Arguments.of("null", "empty state file"),
                Arguments.of("[]", "the state must be an object, found an array"),
                Arguments.of("42", "the state must be an object, found an integer"),
                Arguments.of("{\"applied\": {\"generation\": 3, \"serviceName\"", "end-of-input"),
                Arguments.of("{\"applied\":{\"generation\":3,", "end-of-input"),
                Arguments.of("{\"applied\":\"x\"}", "applied must be an object, found a string"),
                Arguments.of("{\"applied\":{" + PROFILE + "}}", "applied.generation is missing"),
                Arguments.of("{\"applied\":{\"generation\":null," + PROFILE + "}}",
                        "applied.generation must be an integer, found null"),
                Arguments.of("{\"applied\":{\"generation\":\"3\"," + PROFILE + "}}",
                        "applied.generation must be an integer, found a string"),
                Arguments.of("{\"applied\":{\"generation\":3.5," + PROFILE + "}}",
                        "applied.generation must be an integer, found a decimal number"),
                Arguments.of("{\"applied\":{\"generation\":0," + PROFILE + "}}",
                        "applied: generation must be positive, got 0"),
                Arguments.of("{\"previous\":{\"generation\":2," + PROFILE.replace(",\"serviceIp\":\"192.0.2.1\"", "")
                        + "}}", "previous: serviceIp is required"),
                Arguments.of("{\"applied\":{\"generation\":3," + PROFILE.replace("\"otb-svc-1\"", "5") + "}}",
                        "applied.serviceName must be a string, found an integer"),
                Arguments.of("{\"pending\":{\"generation\":1}}", "pending.deadlineEpochMillis is missing"),
                Arguments.of("{\"unreportedRollback\":99999999999999999999999}",
                        "unreportedRollback is out of range: 99999999999999999999999"),
                Arguments.of("{\"unreportedRollback\":true}", "unreportedRollback must be an integer, found a boolean"),
                Arguments.of("{\"decommissioned\":{}}", "decommissioned must be a string, found an object"),
                Arguments.of("{\"applied\":null,\"applied\":null}", "Duplicate field 'applied'"),
                Arguments.of("{}{}", "more content after the state"),
                Arguments.of("{} trailing", "trailing"));
    }

    @ParameterizedTest
    @MethodSource("filesThatAreNotAState")
    void aFileThatIsNotAStateIsRefusedNamingTheFileAndTheProblem(String content, String problem) throws Exception {
        Path file = dir.resolve("state.json");
        Files.writeString(file, content);
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageStartingWith(file.toString() + ": ").hasMessageContaining(problem);
        assertThat(file).hasContent(content);
    }

    @ParameterizedTest
    @MethodSource("bytesThatAreNotAState")
    void bytesThatAreNotUtf8JsonAreRefusedNamingTheFile(byte[] content, String problem) throws Exception {
        // found by StateFileFuzzTest: '{' then zeros (what a power cut can leave) read as "UTF-32", error unnamed
        Path file = dir.resolve("state.json");
        Files.write(file, content);
        assertThatThrownBy(() -> StateStore.directory(dir).load()).isInstanceOf(IOException.class)
                .hasMessageStartingWith(file.toString() + ": not a valid agent state: ").hasMessageContaining(problem);
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
    }

    static Stream<Arguments> bytesThatAreNotAState() {
        byte[] zeroFilled = new byte[52];
        zeroFilled[0] = '{';
        return Stream.of(
                Arguments.of(zeroFilled, "code 0"),
                Arguments.of(new byte[] {'{', 0, 0, 0, 0, 0, 0, 0, (byte) 0xe2, (byte) 0xa3}, "not UTF-8 text"),
                Arguments.of("{}".getBytes(java.nio.charset.StandardCharsets.UTF_16LE), "code 0"),
                Arguments.of(new byte[] {'{', '"', (byte) 0xc3, '"', ':', '1', '}'}, "not UTF-8 text"));
    }

    @Test
    void aRefusalSaysWhereInTheFileTheProblemIs() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\n  \"applied\" : {\n    \"generation\" : \"3\",\n");
        assertThatThrownBy(() -> StateStore.directory(dir).load())
                .hasMessageContaining("applied.generation must be an integer").hasMessageContaining("(line 3, column");
    }

    @Test
    void fieldsOfALaterVersionAreIgnored() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{\"applied\":{\"generation\":3," + PROFILE
                + ",\"burst\":{\"bytes\":[1,null]}},\"pending\":null,\"future\":[1,{\"a\":null}],\"flag\":true}");
        assertThat(StateStore.directory(dir).load()).isEqualTo(new AgentState(
                new BandwidthProfile(3, "otb-svc-1", "starter.v1", 1, 1, "192.0.2.1"), null, null, null, null));
    }

    @Test
    void temporaryFilesACrashLeftBehindAreRemovedOnLoad() throws Exception {
        StateStore.directory(dir).save(new AgentState(profile(1), null, null, null, null));
        Path leftover = dir.resolve(".state.json12345.tmp");
        Files.writeString(leftover, "{\"applied\":");
        assertThat(StateStore.directory(dir).load().applied()).isEqualTo(profile(1));
        assertThat(leftover).doesNotExist();
    }

    /**
     * State files as the first release wrote them (jackson-databind, indented, nulls left out), copied verbatim
     * from its output: boxes in the field hold such files, and an upgraded agent must load them unchanged.
     */
    static Stream<Arguments> filesOfTheFirstRelease() {
        BandwidthProfile three = new BandwidthProfile(3, "otb-svc-1", "starter.v1", 500_000, 250_000, "2001:db8::7");
        BandwidthProfile two = new BandwidthProfile(2, "otb-svc-1", "business.v1", 1_000_000, 900_000, "192.0.2.10");
        return Stream.of(
                Arguments.of("pending-and-rollback.json",
                        new AgentState(three, two, new AgentState.PendingConfirm(3, 1_700_000_000_000L), 1L, null)),
                Arguments.of("decommissioned.json",
                        new AgentState(three, null, null, null, "customer \"left\" \u00e9\n")),
                Arguments.of("empty.json", AgentState.EMPTY));
    }

    @ParameterizedTest
    @MethodSource("filesOfTheFirstRelease")
    void aStateFileOfTheFirstReleaseLoads(String name, AgentState expected) throws Exception {
        Files.write(dir.resolve("state.json"), resource(name));
        assertThat(StateStore.directory(dir).load()).isEqualTo(expected);
    }

    @ParameterizedTest
    @MethodSource("filesOfTheFirstRelease")
    void theStateIsWrittenByteForByteAsTheFirstReleaseWroteIt(String name, AgentState state) throws Exception {
        // so that a box downgraded to the first release still reads what a later agent saved
        StateStore.directory(dir).save(state);
        assertThat(Files.readAllBytes(dir.resolve("state.json"))).isEqualTo(resource(name));
    }

    private static byte[] resource(String name) {
        try (InputStream in = DirectoryStateStoreTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
