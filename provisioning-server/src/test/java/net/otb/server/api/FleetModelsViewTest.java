package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import net.otb.protocol.Confirm;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's fleet by model: counts the store aggregates, boxes online from the sessions, the boxes behind. */
class FleetModelsViewTest {

    @Test
    void countsBoxesOnlineInSyncAndBehindByModelAndListsTheOnesBehind(@TempDir Path dir) throws Exception {
        try (ServerHarness harness = new ServerHarness(dir, g -> g)) {
            harness.registerBox("OTB3-VIEW1", "v3");
            harness.registerBox("OTB3-VIEW2", "v3");
            harness.registerBox("OTB2C-VIEW3", "v2c");
            harness.createService("otb-view1", "192.0.2.101", "OTB3-VIEW1", "starter.v1");
            harness.createService("otb-view2", "192.0.2.102", "OTB3-VIEW2", "starter.v1");
            try (TestAgent box = harness.agent("OTB3-VIEW1", true).connect(harness.agentPort())) {
                box.await(Confirm.class, Duration.ofSeconds(10));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        harness.http.get("/1.0/admin/fleet/models").json().path("models").get(1).path("inSync")
                                .asInt() == 1);
                JsonNode view = harness.http.get("/1.0/admin/fleet/models").json();
                JsonNode v2c = view.path("models").get(0);
                JsonNode v3 = view.path("models").get(1);
                assertThat(v2c.path("model").asText()).isEqualTo("v2c");
                assertThat(v2c.path("devices").asInt()).isEqualTo(1);
                assertThat(v2c.path("bound").asInt()).isZero();
                assertThat(v3.path("devices").asInt()).isEqualTo(2);
                assertThat(v3.path("online").asInt()).isEqualTo(1);
                assertThat(v3.path("bound").asInt()).isEqualTo(2);
                assertThat(v3.path("behind").asInt()).isEqualTo(1);
                assertThat(view.path("behind")).hasSize(1);
                assertThat(view.path("behind").get(0).path("deviceId").asText()).isEqualTo("OTB3-VIEW2");
                assertThat(view.path("behind").get(0).path("online").asBoolean()).isFalse();
                assertThat(harness.http.get("/1.0/admin/fleet/models?behind=0").json().path("behind")).isEmpty();
            }
        }
    }
}
