package net.otb.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import net.otb.agent.AgentStatus;
import net.otb.agent.ServerAddress;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into the hardware and the network give the states the protocol promises: a refused apply
 * is {@code rejected} and leaves the old shaping; a lost confirm is {@code rolledBack} and then re-pushed; a box
 * that crashes mid-apply comes back on its old profile and converges.
 */
class FaultInjectionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    static Path data;

    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private static EmbeddedServer server;
    private static ServerApi api;
    private static LinkCutter cutter;
    private static Fleet fleet;

    @BeforeAll
    static void startFleet() throws Exception {
        // confirm within 2 s, so that a lost confirm rolls back quickly
        server = EmbeddedServer.start(data, TlsProvider.AUTO, Clock.systemUTC(), new EmbeddedServer.Timings(10, 2, 2, 1));
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(15));
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.agentAddress().port());
        cutter = LinkCutter.start(GROUP, new InetSocketAddress("127.0.0.1", 0), target);
        ServerAddress throughCutter = new ServerAddress("127.0.0.1", cutter.address().getPort());
        FleetConfig config = FleetConfig.of(3, TlsProvider.AUTO).withModels(List.of(BoxModel.V3));
        fleet = Fleet.build(config, server.issuer(), ClientTls.of(server.anchors(), TlsProvider.AUTO),
                offset -> List.of(offset == 1 ? throughCutter : server.agentAddress()), GROUP, Clock.systemUTC(), 7,
                FleetListener.NONE);
        new Provisioning(api, 4).registerAll(fleet.devices(), "starter.v1", done -> { });
        fleet.start();
        await(() -> fleet.confirmedOn("starter.v1") == 3);
    }

    @AfterAll
    static void stop() {
        fleet.close();
        cutter.close();
        server.close();
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void await(BooleanSupplier condition) throws Exception {
        fleet.awaitUntil(condition, DEADLINE).get(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
    }

    private static void change(SimulatedDevice device, String offer) throws Exception {
        api.post("/1.0/admin/services/" + Provisioning.serviceName(device) + "/desiredOffer", ServerApi.body("offer", offer));
    }

    private static JsonNode latestTask(SimulatedDevice device) throws Exception {
        return api.get("/1.0/overTheBox/" + Provisioning.serviceName(device) + "/tasks").get(0);
    }

    @Test
    void aRefusedApplyIsRejectedAndTheOldShapingStays() throws Exception {
        SimulatedDevice device = fleet.devices().get(0);
        device.box().faults().rejectEveryApply("HTB: quantum of class 1:10 is too big");

        change(device, "business.v1");

        await(() -> device.rejections() >= 1);
        assertThat(device.lastRejection()).isEqualTo("HTB: quantum of class 1:10 is too big");
        assertThat(device.box().inForce().offer()).isEqualTo("starter.v1");
        assertThat(device.status().applied().offer()).isEqualTo("starter.v1");
        CompletableFuture<Void> rejectedOnServer = fleet.awaitUntil(() -> {
            try {
                return "rejected".equals(latestTask(device).path("outcome").asText());
            } catch (Exception e) {
                return false;
            }
        }, DEADLINE);
        rejectedOnServer.get(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
        assertThat(latestTask(device).path("detail").asText()).contains("quantum");

        device.box().faults().clear();
        change(device, "business.v1");
        await(() -> device.confirmedProfile() != null && device.confirmedProfile().offer().equals("business.v1"));
    }

    @Test
    void aLostConfirmIsRolledBackThenPushedAgain() throws Exception {
        SimulatedDevice device = fleet.devices().get(1);
        device.box().faults().afterNextApply(cutter::cut);

        change(device, "business.v1");

        await(() -> device.rollbacks() == 1);
        assertThat(device.box().inForce().offer()).isEqualTo("starter.v1");
        assertThat(device.connected()).isFalse();

        cutter.restore();
        await(() -> device.confirmedProfile() != null && device.confirmedProfile().offer().equals("business.v1"));
        assertThat(device.box().inForce().offer()).isEqualTo("business.v1");
        assertThat(latestTask(device).path("rollbacks").asInt()).isEqualTo(1);
    }

    @Test
    void aBoxThatCrashesMidApplyRestartsOnItsOldProfileAndConverges() throws Exception {
        SimulatedDevice device = fleet.devices().get(2);
        device.box().faults().crashOnNextApply();

        change(device, "business.v1");

        await(() -> device.status().phase() == AgentStatus.Phase.STOPPED);
        assertThat(device.box().isPowered()).isFalse();
        assertThat(device.box().inForce().offer()).isEqualTo("starter.v1");

        device.start();
        await(() -> device.confirmedProfile() != null && device.confirmedProfile().offer().equals("business.v1"));
        assertThat(device.sessions()).isEqualTo(2);
    }
}
