package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.otb.server.ServerContext;
import net.otb.server.migration.Harness.Answer;
import net.otb.server.order.Money;
import net.otb.server.order.OrderStore;
import net.otb.server.refund.ProrataRefund;
import net.otb.server.refund.Refund;
import net.otb.server.refund.RefundStore;
import net.otb.server.store.StoreException;
import net.otb.server.store.TxWork;
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

        List<Answer> created = answers.stream().filter(a -> a.status() == 200).toList();
        assertThat(created).hasSize(1);
        assertThat(answers).filteredOn(a -> a.status() != 200)
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

    @Test
    void theDatabaseItselfRefusesASecondOpenMigrationAndASecondRefund() {
        harness.service("otb-db", "starter.v1", "198.51.100.203", null);
        ServerContext context = harness.server().context();
        ValidatedChange change = new MigrationRules(new CatalogTerms(context::catalog))
                .validate(new ServiceView("otb-db", "starter.v1", "active", false),
                        new ChangeRequest("business.v1", null, null, null, null, CONTRACTS), id -> Optional.empty())
                .value();
        MigrationStore migrations = new MigrationStore();
        OrderStore orders = new OrderStore();
        RefundStore refunds = new RefundStore();
        TxWork<Migration> open = tx -> migrations.create(tx,
                orders.create(tx, "otb-db", Money.cents(3999), Money.ZERO).id(), change);

        Migration first = context.database().inTransaction(open);
        // no service lock taken here: the unique column alone refuses the second open migration
        assertThatThrownBy(() -> context.database().inTransaction(open)).isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("migrations_one_open"));

        ProrataRefund prorata = ProrataRefund.of(1999, LocalDate.of(2026, 7, 7));
        Refund once = context.database().inTransaction(tx -> refunds.establish(tx, first.id(), first.orderId(),
                "otb-db", "starter.v1", prorata));
        Refund again = context.database().inTransaction(tx -> refunds.establish(tx, first.id(), first.orderId(),
                "otb-db", "starter.v1", prorata));
        assertThat(again).isEqualTo(once);
        assertThatThrownBy(() -> context.database().inTransaction(tx -> tx.update("INSERT INTO refunds (migration_id, "
                + "order_id, service_name, old_offer, old_monthly_cents, effective_date, day_of_month, days_in_month, "
                + "refunded_days, amount_cents, created_at) VALUES (?, ?, 'otb-db', 'starter.v1', 1999, ?, 7, 31, 25, "
                + "1612, ?)", first.id(), first.orderId(), prorata.effectiveDate(), tx.now())))
                .isInstanceOf(StoreException.class)
                .satisfies(e -> assertThat(e.getMessage()).containsIgnoringCase("refunds_once"));
    }
}
