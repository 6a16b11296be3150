package net.otb.server.api;

import net.otb.protocol.logging.LogFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One searchable line per API event (docs/operations.md#logs): {@code event=... key=value}, the caller's request id
 * when it sends a plain one, refusals of a signature at info, nothing raw from the peer.
 */
class ApiLogLinesTest {

    @TempDir
    static Path dir;

    static ServerHarness harness;

    final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream stderr;

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @BeforeEach
    void capture() {
        // slf4j-simple writes to the System.err of the moment it logs
        stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void release() {
        System.setErr(stderr);
        stderr.print(captured.toString(StandardCharsets.UTF_8));
    }

    List<String> lines(String event) {
        return Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(line -> line.contains("event=" + event + " ")).toList();
    }

    @Test
    void aStateChangeLogsOneLineWithTheCallersRequestIdRoleAndStatus() throws Exception {
        String json = "{\"serial\":\"OTB3-000555\",\"model\":\"v3\"}";
        HttpRequest.Builder post = HttpRequest.newBuilder(harness.http.uri("/1.0/admin/devices"))
                .header("Content-Type", "application/json").header("X-Request-Id", "order-42")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        assertThat(harness.http.send(post, "key-555", json).status()).isEqualTo(201);

        await().atMost(Duration.ofSeconds(5)).until(() -> !lines("api.request").isEmpty());
        assertThat(lines("api.request")).singleElement().satisfies(line -> assertThat(line)
                .contains("INFO", "event=api.request method=POST route=/1.0/admin/devices path=/1.0/admin/devices "
                        + "status=201 problem=- role=", " request=order-42 idempotencyKey=key-555 ms=")
                .containsPattern(" app=[A-Za-z0-9]+ peer=/?127\\.0\\.0\\.1:\\d+ "));
    }

    @Test
    void anUnsignedCallIsLoggedAsARefusalWithItsProblemAndAnIdOfOurs() throws Exception {
        Http unsigned = harness.http.unsigned();
        HttpRequest.Builder get = HttpRequest.newBuilder(unsigned.uri("/1.0/admin/fleet"))
                .header("X-Request-Id", "not a token").GET();
        assertThat(unsigned.send(get, null).status()).isEqualTo(401);

        await().atMost(Duration.ofSeconds(5)).until(() -> !lines("api.refused").isEmpty());
        assertThat(lines("api.refused")).singleElement().satisfies(line -> assertThat(line)
                .contains("event=api.refused method=GET route=/1.0/admin/fleet", "status=401", "role=- app=-")
                .containsPattern(" problem=[a-z-]+ ").containsPattern(" request=r-[0-9a-f]+ "));
    }

    @Test
    void aValueFromAPeerCarriesNoControlCharacterNorBreaksTheFields() {
        assertThat(LogFields.value("OTB3-000001")).isEqualTo("OTB3-000001");
        assertThat(LogFields.value(null)).isEqualTo("-");
        assertThat(LogFields.value("")).isEqualTo("-");
        assertThat(LogFields.value("evil\nevent=forged\u001b[31m")).isEqualTo("\"evil\\x0aevent=forged\\x1b[31m\"");
        assertThat(LogFields.value("a \"quoted\" word")).isEqualTo("\"a \\\"quoted\\\" word\"");
        assertThat(LogFields.value("caf\u00e9 \u2603")).isEqualTo("\"caf\\xe9 \\u2603\"");
        assertThat(LogFields.value("x".repeat(500))).hasSize(LogFields.MAX_VALUE + 3).endsWith("...");
    }
}
