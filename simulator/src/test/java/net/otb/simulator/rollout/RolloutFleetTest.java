package net.otb.simulator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.rollout.RolloutDriver;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staged rollouts over 200 real agents on simulated boxes, over mTLS, driven through the admin API. One fleet for the
 * whole class (building it is most of the time), so the steps run in order, each leaving every box on a known offer:
 * an aborted canary reverted (starter), a paused and resumed rollout (business), a server restart mid-wave (starter),
 * a cancel. The driver ticks every 100 ms; the boxes apply in a few milliseconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RolloutFleetTest {

    private static final int BOXES = 200;
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final RolloutDriver.Settings FAST = new RolloutDriver.Settings(Duration.ofMillis(100),
            Duration.ofSeconds(5));

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private EmbeddedServer server;
    private ServerApi api;
    private Fleet fleet;

    @BeforeAll
    void start(@TempDir Path data) throws Exception {
        server = EmbeddedServer.start(data, TlsProvider.AUTO, Clock.systemUTC(), new EmbeddedServer.Timings(10, 10, 2, 1),
                FAST);
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(30));
        fleet = Fleet.build(FleetConfig.of(BOXES, TlsProvider.AUTO), server.issuer(),
                ClientTls.of(server.anchors(), TlsProvider.AUTO), List.of(server.agentAddress()), group,
                Clock.systemUTC(), 15, FleetListener.NONE);
        new Provisioning(api, 16).registerAll(fleet.devices(), "starter.v1", done -> { });
        fleet.start().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        awaitFleet(() -> fleet.confirmedOn("starter.v1") == BOXES);
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void awaitFleet(java.util.function.BooleanSupplier condition) throws Exception {
        fleet.awaitUntil(condition, DEADLINE).get(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
    }

    private JsonNode rollout(long id) throws Exception {
        return api.get("/1.0/admin/rollouts/" + id);
    }

    /** Waits until the rollout, read through the API, satisfies {@code condition}; returns it then. */
    private JsonNode awaitRollout(long id, Predicate<JsonNode> condition) throws Exception {
        awaitFleet(() -> {
            try {
                return condition.test(rollout(id));
            } catch (Exception e) {
                return false;
            }
        });
        return rollout(id);
    }

    private long create(Object... fields) throws Exception {
        List<Object> pairs = new ArrayList<>(List.of(fields));
        pairs.addAll(List.of("serviceNames", fleet.devices().stream().map(Provisioning::serviceName).toList(),
                "waveTimeoutSeconds", 60));
        JsonNode created = api.post("/1.0/admin/rollouts", ServerApi.body(pairs.toArray()));
        assertThat(created.path("boxes").asInt()).isEqualTo(BOXES);
        return created.path("id").asLong();
    }

    private static long count(JsonNode rollout, String state) {
        return rollout.path("boxesByState").path(state).asLong();
    }

    private Set<String> boxesOf(long id, String query) throws Exception {
        Set<String> names = new HashSet<>();
        api.get("/1.0/admin/rollouts/" + id + "/boxes?limit=1000" + query).forEach(b -> names.add(b.path("serviceName").asText()));
        return names;
    }

    private RolloutDriver driver() {
        return server.server().rolloutDriver();
    }

    /** Waits for the driver to have ticked {@code n} more times: it had its chance to act, and did what it did. */
    private void awaitTicks(int n) throws Exception {
        long target = driver().ticks() + n;
        awaitFleet(() -> driver().ticks() >= target);
    }

    /** The services of {@code names} all still on {@code offer} at generation {@code generation}, their boxes too. */
    private void assertUntouched(Set<String> names, String offer, Map<String, Long> generations) throws Exception {
        for (SimulatedDevice device : fleet.devices()) {
            String name = Provisioning.serviceName(device);
            if (names.contains(name)) {
                JsonNode service = api.get("/1.0/overTheBox/" + name);
                assertThat(service.path("offer").asText()).as(name).isEqualTo(offer);
                assertThat(service.path("desiredGeneration").asLong()).as(name).isEqualTo(generations.get(name));
                assertThat(device.box().inForce().offer()).as(name).isEqualTo(offer);
            }
        }
    }

    private Map<String, Long> generations() throws Exception {
        Map<String, Long> generations = new java.util.HashMap<>();
        for (SimulatedDevice device : fleet.devices()) {
            String name = Provisioning.serviceName(device);
            generations.put(name, api.get("/1.0/overTheBox/" + name).path("desiredGeneration").asLong());
        }
        return generations;
    }

    @Test
    @Order(1)
    void aCanaryWithTooManyFailuresAbortsTheRestStaysUntouchedAndRevertPutsTheCanaryBack() throws Exception {
        // a quarter of the fleet refuses the new rates (and accepts the old ones again)
        List<SimulatedDevice> failing = fleet.devices().stream().filter(d -> d.index() % 4 == 0).toList();
        failing.forEach(d -> d.box().faults().rejectNextApplies(1, "HTB: rate above the line's capacity"));
        Map<String, Long> before = generations();

        long id = create("name", "business to all", "offer", "business.v1", "canaryPercent", 10, "growthFactor", 2,
                "maxPerMinute", 60_000, "abortFailurePercent", 10);
        JsonNode aborted = awaitRollout(id, r -> r.path("state").asText().equals("aborted"));

        Set<String> canary = boxesOf(id, "&wave=1");
        assertThat(canary).hasSize(BOXES / 10);
        long failingInCanary = failing.stream().filter(d -> canary.contains(Provisioning.serviceName(d))).count();
        assertThat(failingInCanary).as("the fleet's failing boxes in the canary").isGreaterThan(2);
        assertThat(aborted.path("detail").asText()).startsWith("wave 1: ").contains("more than 10 %");
        assertThat(aborted.path("currentWave").asInt()).isEqualTo(1);
        assertThat(aborted.path("waves").get(0).path("state").asText()).isEqualTo("failed");
        Set<String> rest = boxesOf(id, "&state=pending");
        assertThat(rest).hasSize(BOXES - canary.size()).doesNotContainAnyElementsOf(canary);
        assertUntouched(rest, "starter.v1", before);
        // the reason is on the rollout (the push errors themselves close once the boxes run the generation that took
        // the change back)
        assertThat(aborted.path("failureReasons").get(0).path("reason").asText())
                .isEqualTo("rejected: HTB: rate above the line's capacity");
        assertThat(aborted.path("failureReasons").get(0).path("boxes").asLong()).isEqualTo(count(aborted, "failed"));
        awaitTicks(2);
        assertThat(api.get("/metrics").asText())
                .contains("otb_rollout_boxes{rollout=\"" + id + "\",state=\"pending\"} " + rest.size());

        failing.forEach(d -> d.box().faults().clear());
        // the abort took back the change of the canary's boxes that had not applied it: only those that did are reverted
        long applied = count(aborted, "applied");
        assertThat(applied + count(aborted, "failed") + count(aborted, "withdrawn")).isEqualTo(canary.size());
        JsonNode reverted = api.post("/1.0/admin/rollouts/" + id + "/revert", Map.of("immediate", true));

        assertThat(reverted.path("reverted").asLong()).isEqualTo(applied);
        awaitFleet(() -> fleet.confirmedOn("starter.v1") == BOXES && fleet.devices().stream()
                .filter(d -> canary.contains(Provisioning.serviceName(d))).allMatch(d -> d.confirmedGeneration() == 3));
        assertThat(rollout(id).path("boxesByState").path("reverted").asLong()).isEqualTo(applied);
        // every canary box runs a later generation than the one it rejected: no push error is left to look at
        awaitFleet(() -> {
            try {
                return !api.get("/1.0/admin/tasks?state=error&limit=1000").toString().contains("HTB: rate above");
            } catch (Exception e) {
                return false;
            }
        });
        assertUntouched(rest, "starter.v1", before);
    }

    @Test
    @Order(2)
    void aPausedRolloutChangesNoBoxUntilResumedThenCompletes() throws Exception {
        long id = create("offer", "business.v1", "canaryBoxes", 20, "growthFactor", 3, "maxPerMinute", 3_000);
        awaitRollout(id, r -> r.path("currentWave").asInt() >= 2 && count(r, "pending") > 0);

        JsonNode paused = api.post("/1.0/admin/rollouts/" + id + "/pause", Map.of());
        assertThat(paused.path("state").asText()).isEqualTo("paused");
        long pending = count(paused, "pending");
        awaitTicks(3);
        JsonNode still = rollout(id);
        assertThat(count(still, "pending")).isEqualTo(pending).isPositive();
        assertThat(fleet.confirmedOn("business.v1")).isLessThanOrEqualTo((int) (BOXES - pending));

        api.post("/1.0/admin/rollouts/" + id + "/resume", Map.of());
        JsonNode done = awaitRollout(id, r -> r.path("state").asText().equals("completed"));

        assertThat(count(done, "applied")).isEqualTo(BOXES);
        assertThat(done.path("waves").findValuesAsText("size")).containsExactly("20", "60", "120");
        awaitFleet(() -> fleet.confirmedOn("business.v1") == BOXES);
        assertThat(fleet.devices()).allSatisfy(d -> assertThat(d.box().shaperDownKbps()).isEqualTo(1_000_000));
    }

    @Test
    @Order(3)
    void aServerRestartMidWaveResumesTheRolloutFromTheStore() throws Exception {
        long id = create("offer", "starter.v1", "canaryBoxes", 20, "growthFactor", 2, "maxPerMinute", 1_200);
        // mid-wave: a wave after the canary has started and still has boxes to push
        awaitRollout(id, r -> r.path("currentWave").asInt() >= 2 && r.path("waves").get(r.path("currentWave").asInt() - 1)
                .path("boxes").path("pending").asInt() > 0);

        server.stop(false);
        awaitFleet(() -> fleet.connected() == 0);
        server.start();

        JsonNode done = awaitRollout(id, r -> r.path("state").asText().equals("completed"));
        assertThat(count(done, "applied")).isEqualTo(BOXES);
        awaitFleet(() -> fleet.confirmedOn("starter.v1") == BOXES && fleet.connected() == BOXES);
        // the stopped server released its lease; the restarted one (same host and port, so the same default
        // instance id) took it again from the store rather than from anything it remembered
        long leases = server.server().context().database().inTransaction(tx -> tx.queryLong(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'rollout.leased' AND details LIKE ?",
                "rollout " + id + ":%"));
        assertThat(leases).as("leases taken on the rollout: before the stop and after the restart").isEqualTo(2);
    }

    @Test
    @Order(4)
    void aCancelledRolloutPushesNothingMoreAndLeavesTheBoxesNotReached() throws Exception {
        Map<String, Long> before = generations();
        long id = create("offer", "business.v1", "canaryBoxes", 10, "growthFactor", 2, "maxPerMinute", 300);
        awaitRollout(id, r -> count(r, "applied") >= 5);

        JsonNode cancelled = api.post("/1.0/admin/rollouts/" + id + "/cancel", Map.of());
        assertThat(cancelled.path("state").asText()).isEqualTo("cancelled");
        Set<String> notReached = boxesOf(id, "&state=pending");
        awaitTicks(3);

        // 5 boxes a second: however slow the machine, most of the fleet was not reached when the cancel came
        assertThat(notReached).hasSizeGreaterThan(BOXES / 2);
        assertThat(boxesOf(id, "&state=pending")).isEqualTo(notReached);
        assertUntouched(notReached, "starter.v1", before);
        assertThat(rollout(id).path("state").asText()).isEqualTo("cancelled");
    }

    @Test
    @Order(5)
    void boxesOfflineDuringAnAbortedWaveGetTheirOldOfferWhenTheyReconnect() throws Exception {
        List<SimulatedDevice> ten = new ArrayList<>();
        for (SimulatedDevice d : fleet.devices()) {
            if (ten.size() < 10 && api.get("/1.0/overTheBox/" + Provisioning.serviceName(d)).path("offer").asText()
                    .equals("starter.v1")) {
                ten.add(d);
            }
        }
        assertThat(ten).hasSize(10);
        List<SimulatedDevice> offline = ten.subList(5, 10);
        for (SimulatedDevice d : offline) {
            d.stop().toCompletableFuture().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
        awaitFleet(() -> offline.stream().noneMatch(SimulatedDevice::connected));
        JsonNode created = api.post("/1.0/admin/rollouts", ServerApi.body("offer", "business.v1", "serviceNames",
                ten.stream().map(Provisioning::serviceName).toList(), "canaryBoxes", 10, "maxPerMinute", 60_000,
                "waveTimeoutSeconds", 2));
        long id = created.path("id").asLong();

        JsonNode aborted = awaitRollout(id, r -> r.path("state").asText().equals("aborted"));
        assertThat(aborted.path("detail").asText()).startsWith("wave 1 not finished 2 s after it started");
        assertThat(count(aborted, "applied")).isEqualTo(5);
        assertThat(count(aborted, "withdrawn")).isEqualTo(5);

        for (SimulatedDevice d : offline) {
            d.start();
        }
        // back online, each box gets the generation that takes the change back: the offer it had, not the rollout's
        awaitFleet(() -> offline.stream().allMatch(d -> d.connected() && confirmedDesired(d)));
        for (SimulatedDevice d : offline) {
            JsonNode service = api.get("/1.0/overTheBox/" + Provisioning.serviceName(d));
            assertThat(service.path("offer").asText()).isEqualTo("starter.v1");
            assertThat(d.box().inForce().offer()).isEqualTo("starter.v1");
        }
        for (SimulatedDevice d : ten.subList(0, 5)) {
            assertThat(d.box().inForce().offer()).isEqualTo("business.v1");
        }
    }

    private boolean confirmedDesired(SimulatedDevice d) {
        try {
            return d.confirmedGeneration() == api.get("/1.0/overTheBox/" + Provisioning.serviceName(d))
                    .path("desiredGeneration").asLong();
        } catch (Exception e) {
            return false;
        }
    }
}
