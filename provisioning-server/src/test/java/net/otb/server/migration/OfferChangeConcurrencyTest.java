package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.otb.server.migration.Harness.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Fifty order systems racing on one service or one order: one order, one payment, one switch, one refund. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfferChangeConcurrencyTest {

    private static final int RACERS = 50;
    private static final List<String> CONTRACTS = List.of("otb-general-conditions", "otb-business-special-conditions");

    private Harness harness;

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        harness = new Harness(dataDir, Instant.parse("2026-07-07T07:00:00Z")).start();
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    /** Runs {@code call} from {@link #RACERS} threads released together; returns every answer. */
    private List<Answer> race(java.util.function.IntFunction<Answer> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACERS);
        try {
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Answer>> futures = new ArrayList<>();
            for (int i = 0; i < RACERS; i++) {
                int racer = i;
                Callable<Answer> task = () -> {
                    gate.await();
                    return call.apply(racer);
                };
                futures.add(pool.submit(task));
            }
            gate.countDown();
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> future : futures) {
                answers.add(future.get(60, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    private long count(String service, String action) {
        long n = 0;
        for (var event : harness.get("/1.0/overTheBox/" + service + "/audit?limit=1000").json()) {
            if (event.path("action").asText().equals(action)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void fiftyConcurrentChangeOffersMakeExactlyOneOrder() throws Exception {
        harness.service("otb-race", "starter.v1", "198.51.100.200", null);

        List<Answer> answers = race(i -> harness.post("/1.0/overTheBox/otb-race/migration/changeOffers",
                Map.of("offer", "business.v1", "acceptedContracts", CONTRACTS)));

        List<Answer> created = answers.stream().filter(a -> a.status() == 201).toList();
        assertThat(created).hasSize(1);
        assertThat(answers).filteredOn(a -> a.status() != 201)
                .allSatisfy(a -> {
                    assertThat(a.status()).as(a.toString()).isEqualTo(409);
                    assertThat(a.problemType()).endsWith("/open-migration");
                });
        assertThat(count("otb-race", "migration.ordered")).isEqualTo(1);
        assertThat(harness.get("/1.0/overTheBox/otb-race/migration").json().path("orderId").asLong())
                .isEqualTo(created.get(0).json().path("orderId").asLong());
    }

    @Test
    void fiftyConcurrentNotificationsOfOnePaymentPayOnce() throws Exception {
        harness.service("otb-pay", "starter.v1", "198.51.100.201", null);
        long orderId = harness.post("/1.0/overTheBox/otb-pay/migration/changeOffers",
                Map.of("offer", "business.v1", "acceptedContracts", CONTRACTS)).json().path("orderId").asLong();

        List<Answer> answers = race(i -> harness.post("/1.0/me/order/" + orderId + "/pay",
                Map.of("paymentId", "pay-once", "amountCents", 3999)));

        assertThat(answers).allSatisfy(a -> assertThat(a.status()).as(a.toString()).isEqualTo(200));
        assertThat(answers).extracting(a -> a.json().path("paidAt").asText()).containsOnly(
                answers.get(0).json().path("paidAt").asText());
        assertThat(count("otb-pay", "migration.paid")).isEqualTo(1);
        assertThat(count("otb-pay", "refund.established")).isEqualTo(1);
        assertThat(harness.get("/1.0/overTheBox/otb-pay").json().path("desiredGeneration").asLong()).isEqualTo(2);
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).hasSize(1);
    }

    @Test
    void fiftyConcurrentDifferentPaymentsAcceptExactlyOne() throws Exception {
        harness.service("otb-pay2", "starter.v1", "198.51.100.202", null);
        long orderId = harness.post("/1.0/overTheBox/otb-pay2/migration/changeOffers",
                Map.of("offer", "business.v1", "acceptedContracts", CONTRACTS)).json().path("orderId").asLong();

        List<Answer> answers = race(i -> harness.post("/1.0/me/order/" + orderId + "/pay",
                Map.of("paymentId", "pay-" + i)));

        List<Answer> accepted = answers.stream().filter(a -> a.status() == 200).toList();
        assertThat(accepted).hasSize(1);
        assertThat(answers).filteredOn(a -> a.status() != 200).allSatisfy(a -> {
            assertThat(a.status()).as(a.toString()).isEqualTo(409);
            assertThat(a.problemType()).endsWith("/already-paid");
        });
        String winner = accepted.get(0).json().path("paymentId").asText();
        assertThat(harness.get("/1.0/me/order/" + orderId).json().path("paymentId").asText()).isEqualTo(winner);
        assertThat(count("otb-pay2", "migration.paid")).isEqualTo(1);
        assertThat(harness.get("/1.0/me/refund?orderId=" + orderId).json()).hasSize(1);
    }
}
