package net.otb.simulator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code simulator bench} in its multi-instance mode (issue 11): two child instances on a private PostgreSQL,
 * a small fleet spread over them by the agents' server lists. Small sizes: what is checked is what the bench
 * reports (per-instance sessions and CPU, payments across instances, the storm after one instance's SIGKILL),
 * not its figures.
 */
class BenchCommandTest {

    @TempDir
    Path work;

    /** Runs the bench with {@code args}, which it must refuse as bad options (exit 2); returns what it wrote to stderr. */
    private String refused(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine command = new CommandLine(new BenchCommand());
        command.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        PrintStream stderr = System.err;
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = command.execute(args);
        } finally {
            System.setErr(stderr);
        }
        assertThat(exit).isEqualTo(2);
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void severalInstancesOnTheEmbeddedStoreAreRefusedSayingWhy() {
        assertThat(refused("--devices", "10", "--instances", "2", "--out", work.toString()))
                .contains("several instances share one PostgreSQL database", "--store postgres");
    }

    @Test
    void aStripeCountOutOfRangeIsRefusedSayingWhy() {
        assertThat(refused("--devices", "10", "--server-stripes", "0", "--out", work.toString()))
                .contains("--server-stripes must be between 1 and 64");
    }

    @Test
    void twoInstancesOnPostgresShareTheFleetAndTheSurvivorReconcilesTheKilledOnesBoxes() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/usr/lib/postgresql")), "PostgreSQL's server programs are not installed");
        Path out = work.resolve("results");
        int exit = new CommandLine(new BenchCommand()).execute("--devices", "40", "--instances", "2", "--store",
                "postgres", "--payments", "3", "--deadline", "120", "--out", out.toString());

        List<Path> results;
        try (Stream<Path> files = Files.list(out)) {
            results = files.filter(p -> p.getFileName().toString().endsWith(".json")).toList();
        }
        assertThat(results).hasSize(1);
        JsonNode result = new ObjectMapper().readTree(results.get(0).toFile());
        assertThat(exit).as(result.toPrettyString()).isZero();
        assertThat(result.path("instances").asInt()).isEqualTo(2);
        assertThat(result.path("store").asText()).isEqualTo("postgres");

        JsonNode perInstance = result.path("sessions").path("perInstance");
        assertThat(perInstance).hasSize(2);
        int held = 0;
        for (JsonNode instance : perInstance) {
            assertThat(instance.path("sessions").asInt()).as("the server lists spread the boxes: %s", instance)
                    .isPositive();
            assertThat(instance.path("serverCpuSeconds").asDouble()).isPositive();
            held += instance.path("sessions").asInt();
        }
        assertThat(held).as("each box held by exactly one instance").isEqualTo(40);
        JsonNode secondHalf = result.path("sessions").path("secondHalf");
        assertThat(secondHalf.path("sessions").isInt()).as("the ramp's second half: %s", secondHalf).isTrue();
        assertThat(secondHalf.path("sessions").asInt()).as("at most the boxes after the first half").isBetween(0, 20);
        assertThat(secondHalf.path("serverCpuSeconds").isNumber()).isTrue();
        assertThat(result.path("bulkPush").path("samples").asInt()).isEqualTo(40);
        assertThat(result.path("bulkPush").path("perInstance")).hasSize(2);

        JsonNode payments = result.path("crossInstancePayment");
        assertThat(payments.path("samples").asInt()).isEqualTo(3);
        assertThat(payments.path("p50Ms").asDouble()).isPositive();

        JsonNode storm = result.path("reconnectStorm");
        assertThat(storm.path("killed").asText()).isEqualTo("bench-b");
        assertThat(storm.path("sessionsMoved").asInt()).isEqualTo(perInstance.get(1).path("sessions").asInt());
        assertThat(storm.path("reconciled").asBoolean()).isTrue();
        assertThat(storm.path("pushesLost").asInt()).isZero();
        assertThat(storm.path("survivorSessions").asInt()).as("the survivor holds every box").isEqualTo(40);
    }
}
