package net.otb.simulator.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.otb.agent.state.AgentState;
import net.otb.agent.state.StateStore;
import net.otb.protocol.BandwidthProfile;
import net.otb.simulator.hardware.AppliedHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short seeded campaign runs on H2 (a child server, real agents in this JVM and one in a JVM of its own) keep
 * every invariant, and the checker is not a rubber stamp: each violation planted in a finished run's store,
 * state file or applied history is reported under its invariant.
 */
class CampaignTest {

    private static final long SEED = 1402;

    @TempDir
    Path work;

    @Test
    void shortSeededRunsOnH2KeepEveryInvariantAndPrintTheirFigures() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        Campaign.Summary summary = new Campaign(new RunConfig(SEED + 1, RunConfig.Store.H2, 3, 12, 1), 1, work, false)
                .run(out);

        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(summary.violations()).as(printed).isZero();
        assertThat(summary.passed()).as(printed).isTrue();
        assertThat(summary.migrations()).as("every run pays at least one change").isPositive();
        assertThat(printed).contains("runs 1, failed 0", "migrations checked", "faults injected", "PASSED");
    }

    @Test
    void theCheckerReportsEachViolationPlantedInAFinishedRun() throws Exception {
        CampaignRun.Result run = new CampaignRun(new RunConfig(SEED, RunConfig.Store.H2, 3, 12, 1), work, null)
                .run(true);
        assertThat(run.violations()).as("the run itself is clean").isEmpty();
        assertThat(run.migrations()).isPositive();
        Ledger ledger = run.ledger();
        String service = ledger.services.keySet().iterator().next();
        Ledger.Box box = ledger.boxes.get(ledger.boundBox(service));
        Path stateFile = box.stateDirectory().resolve("state.json");
        AgentState state = AppliedHistory.readState(stateFile);
        BandwidthProfile now = state.applied();
        assertThat(now.generation()).as("the first service's change was paid: generation 2 or more").isGreaterThan(1);

        // the box's state file goes back one generation
        BandwidthProfile older = new BandwidthProfile(now.generation() - 1, now.serviceName(), now.offer(),
                now.downKbps(), now.upKbps(), now.serviceIp());
        StateStore.directory(box.stateDirectory()).save(new AgentState(older, null, null, null, null));
        // its own log shows generation 1 applied after it had confirmed the current one
        Files.writeString(box.historyFile(), System.currentTimeMillis() + " 1 " + now.serviceName() + " "
                + now.offer() + " " + now.downKbps() + " " + now.upKbps() + " " + now.serviceIp() + " "
                + now.generation() + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (Connection c = DriverManager.getConnection(run.jdbcUrl(), run.jdbcUser(), run.jdbcPassword());
             Statement s = c.createStatement()) {
            // a refund established twice (the constraint that forbids it dropped first)
            // (on H2 the foreign key shares the unique index: both go)
            s.execute("ALTER TABLE refunds DROP CONSTRAINT refunds_migration_fk");
            s.execute("ALTER TABLE refunds DROP CONSTRAINT refunds_once");
            s.execute("INSERT INTO refunds (migration_id, order_id, service_name, old_offer, old_monthly_cents, "
                    + "effective_date, day_of_month, days_in_month, refunded_days, amount_cents, created_at) "
                    + "SELECT migration_id, order_id, service_name, old_offer, old_monthly_cents, effective_date, "
                    + "day_of_month, days_in_month, refunded_days, amount_cents, created_at FROM refunds "
                    + "WHERE id = (SELECT MIN(id) FROM refunds)");
            // an answered request whose change (and kept answer) the store lost
            // (kept under the credential that sent it: "SCOPE KEY")
            try (PreparedStatement p = c.prepareStatement("DELETE FROM idempotency_keys WHERE idem_key LIKE ?")) {
                p.setString(1, "% " + ledger.answeredKeys.keySet().iterator().next());
                assertThat(p.executeUpdate()).isEqualTo(1);
            }
            // a push task left doing
            s.execute("UPDATE push_tasks SET state = 'doing' WHERE id = (SELECT MAX(id) FROM push_tasks)");
            try (PreparedStatement p = c.prepareStatement("UPDATE services SET service_ip = '100.127.255.254' "
                    + "WHERE name = ?")) {
                // the service IP changed
                p.setString(1, service);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO purchase_orders (service_name, status, "
                    + "amount_cents, monthly_cents, hardware_cents, created_at) VALUES (?, 'unpaid', 0, 0, 0, "
                    + "CURRENT_TIMESTAMP)")) {
                // an order nobody was answered
                p.setString(1, service);
                p.executeUpdate();
            }
        }

        List<Violation> found = new Checker(ledger, run.jdbcUrl(), run.jdbcUser(), run.jdbcPassword()).check()
                .violations();

        Set<String> invariants = found.stream().map(Violation::invariant).collect(Collectors.toSet());
        assertThat(invariants).as(found.toString()).contains("paid-applied", "generation-order", "refund-once",
                "task-doing", "service-ip", "answered-once");
        assertThat(found).as("the duplicated refund is named").anyMatch(v -> v.invariant().equals("refund-once")
                && v.detail().contains("has 2 refunds"));
        assertThat(found).as("the lost answer is named").anyMatch(v -> v.invariant().equals("answered-once")
                && v.detail().contains("the change was lost"));
        assertThat(found).as("the stale apply is named").anyMatch(v -> v.invariant().equals("generation-order")
                && v.detail().contains("applied generation 1 of " + service));
    }
}
