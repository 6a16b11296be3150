package net.otb.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.lab.EmbeddedServer;
import net.otb.simulator.lab.Provisioning;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hundred real agents on a real server: a bulk offer change in one admin call (the engine's bulk path), then
 * one call per service and a server restart mid-change.
 */
class FleetOfferChangeTest {

    private static final int BOXES = 200;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path data;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private EmbeddedServer server;
    private Fleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static void await(CompletableFuture<?> future) throws Exception {
        future.get(DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
    }

    private void changeAll(ServerApi api, String offer) {
        CompletableFuture.allOf(fleet.devices().stream()
                .map(d -> api.postAsync("/1.0/admin/services/" + Provisioning.serviceName(d) + "/desiredOffer",
                        ServerApi.body("offer", offer)))
                .toArray(CompletableFuture[]::new)).join();
    }

    @Test
    void everyBoxReconcilesThroughABulkChangeAndAServerRestart() throws Exception {
        server = EmbeddedServer.start(data, TlsProvider.AUTO, Clock.systemUTC(), new EmbeddedServer.Timings(10, 10, 2, 1));
        ServerApi api = new ServerApi(server.apiAccess(), Duration.ofSeconds(30));
        fleet = Fleet.build(FleetConfig.of(BOXES, TlsProvider.AUTO), server.issuer(),
                ClientTls.of(server.anchors(), TlsProvider.AUTO), List.of(server.agentAddress()), group,
                Clock.systemUTC(), 42, FleetListener.NONE);
        new Provisioning(api, 16).registerAll(fleet.devices(), "starter.v1", done -> { });

        await(fleet.start());
        await(fleet.awaitUntil(() -> fleet.confirmedOn("starter.v1") == BOXES, DEADLINE));
        assertThat(fleet.connected()).isEqualTo(BOXES);

        JsonNode bulk = api.post("/1.0/admin/desiredOffers", ServerApi.body("offer", "business.v1",
                "serviceNames", fleet.devices().stream().map(Provisioning::serviceName).toList()));
        assertThat(bulk.path("changed").asInt()).isEqualTo(BOXES);
        await(fleet.awaitUntil(() -> fleet.confirmedOn("business.v1") == BOXES, DEADLINE));
        assertThat(fleet.devices()).allSatisfy(d -> {
            assertThat(d.box().shaperDownKbps()).isEqualTo(1_000_000);
            assertThat(d.box().inForce().serviceIp()).isEqualTo(Provisioning.serviceIp(d.index()));
        });

        changeAll(api, "starter.v1");
        server.stop(false);
        await(fleet.awaitUntil(() -> fleet.connected() == 0, DEADLINE));
        server.start();

        await(fleet.awaitUntil(() -> fleet.confirmedOn("starter.v1") == BOXES && fleet.connected() == BOXES,
                DEADLINE));
        assertThat(fleet.devices()).allSatisfy(d -> {
            assertThat(d.sessions()).isGreaterThanOrEqualTo(2);
            assertThat(d.box().shaperDownKbps()).isEqualTo(500_000);
        });
        JsonNode status = api.get("/1.0/admin/fleet");
        assertThat(status.path("outOfSync").asLong()).isZero();
        assertThat(status.path("connected").asInt()).isEqualTo(BOXES);
    }
}
