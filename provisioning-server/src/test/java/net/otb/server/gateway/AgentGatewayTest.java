package net.otb.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Renew;
import net.otb.protocol.Welcome;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Csrs;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.server.testing.Http;
import net.otb.server.testing.ServerHarness;
import net.otb.server.testing.TestAgent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent gateway over real mTLS on loopback, with a real H2 store. */
class AgentGatewayTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    static ServerHarness harness;
    static final AtomicInteger ids = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g.withTimings(30, 30, 2, 1).withMaxRollbackRepush(2));
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    /** A registered box bound to a new service on starter.v1; returns {serial, serviceName}. */
    static String[] boxWithService() throws Exception {
        int n = ids.incrementAndGet();
        String serial = "OTB3-" + String.format("%06d", n);
        String service = "otb-gw-" + n;
        harness.registerBox(serial, "v3");
        harness.createService(service, "198.51.100." + n, serial, "starter.v1");
        return new String[] {serial, service};
    }

    @Test
    void aRegisteredBoxReceivesItsDesiredProfileAndItIsConfirmed() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            Welcome welcome = agent.await(Welcome.class, WAIT);
            assertThat(welcome.heartbeatSeconds()).isEqualTo(30);
            ProfilePush push = agent.await(ProfilePush.class, WAIT);
            assertThat(push.generation()).isEqualTo(1);
            assertThat(push.serviceName()).isEqualTo(box[1]);
            assertThat(push.downKbps()).isEqualTo(500_000);
            assertThat(push.confirmSeconds()).isEqualTo(30);
            agent.awaitConfirm(1, WAIT);
            JsonNode service = harness.http.get("/1.0/overTheBox/" + box[1]).json();
            assertThat(service.path("appliedGeneration").asLong()).isEqualTo(1);
            assertThat(service.path("inSync").asBoolean()).isTrue();
            assertThat(service.path("device").path("connected").asBoolean()).isTrue();
            JsonNode tasks = harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json();
            assertThat(tasks.get(0).path("state").asText()).isEqualTo("done");
            assertThat(tasks.get(0).path("outcome").asText()).isEqualTo("applied");
        }
    }

    @Test
    void anUnregisteredBoxIsRefused() {
        try (TestAgent agent = harness.agent("OTB3-UNKNOWN", true).connect(harness.agentPort())) {
            ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
            assertThat(error.code()).isEqualTo("forbidden");
            assertThat(error.detail()).contains("not registered");
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
        }
    }

    @Test
    void aRevokedBoxIsRefused() throws Exception {
        String[] box = boxWithService();
        assertThat(harness.http.post("/1.0/admin/devices/" + box[0] + "/revoke", "{\"reason\":\"stolen\"}").status())
                .isEqualTo(200);
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
            assertThat(error.code()).isEqualTo("forbidden");
            assertThat(error.detail()).contains("revoked");
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
        }
    }

    @Test
    void aHelloWhoseDeviceIdDiffersFromTheCertificateCnIsRefused() throws Exception {
        String[] box = boxWithService();
        String[] other = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort(), other[0])) {
            ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
            assertThat(error.code()).isEqualTo("forbidden");
            assertThat(error.detail()).contains("CN " + box[0]);
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
        }
        assertThat(harness.http.get("/1.0/overTheBox/" + other[1]).json().path("appliedGeneration").asLong()).isZero();
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedDuringTheHandshake() {
        try (TestAgent agent = harness.agent(TestPki.deviceOfUnknownCa("OTB3-ROGUE"), "OTB3-ROGUE", true)) {
            try {
                agent.connect(harness.agentPort());
            } catch (RuntimeException e) {
                return;
            }
            assertThat(agent.closeFuture()).succeedsWithin(WAIT);
            assertThat(harness.server.gateway().registry().isConnected("OTB3-ROGUE")).isFalse();
        }
    }

    @Test
    void aBoxCannotAcknowledgeAnotherServicesGeneration() throws Exception {
        String[] victim = boxWithService();
        assertThat(harness.changeOffer(victim[1], "business.v1").status()).isEqualTo(200);
        String[] intruder = boxWithService();
        try (TestAgent agent = harness.agent(intruder[0], true).connect(harness.agentPort())) {
            agent.awaitConfirm(1, WAIT);
            agent.send(new Applied(2, Applied.Status.APPLIED, null));
            ErrorMessage error = agent.await(ErrorMessage.class, WAIT);
            assertThat(error.code()).isEqualTo("unexpected");
            assertThat(error.detail()).contains("never pushed to this box");
        }
        JsonNode service = harness.http.get("/1.0/overTheBox/" + victim[1]).json();
        assertThat(service.path("appliedGeneration").asLong()).isZero();
        assertThat(service.path("desiredGeneration").asLong()).isEqualTo(2);
    }

    @Test
    void aChangeMadeWhileTheBoxIsOfflineIsAppliedAtItsNextConnection() throws Exception {
        String[] box = boxWithService();
        TestAgent agent = harness.agent(box[0], true);
        agent.connect(harness.agentPort()).awaitConfirm(1, WAIT);
        agent.close();
        await().atMost(WAIT).until(() -> !harness.server.gateway().registry().isConnected(box[0]));
        assertThat(harness.changeOffer(box[1], "business.v1").status()).isEqualTo(200);
        try (TestAgent again = harness.agent(box[0], true)) {
            again.connect(harness.agentPort());
            ProfilePush push = again.await(ProfilePush.class, WAIT);
            assertThat(push.generation()).isEqualTo(2);
            assertThat(push.downKbps()).isEqualTo(1_000_000);
            assertThat(push.serviceIp()).isEqualTo(harness.http.get("/1.0/overTheBox/" + box[1]).json()
                    .path("serviceIp").asText());
            again.awaitConfirm(2, WAIT);
        }
        await().atMost(WAIT).until(() -> harness.http.get("/1.0/overTheBox/" + box[1]).json()
                .path("appliedGeneration").asLong() == 2);
    }

    /**
     * The campaign's seed -6560672636196002621: a box acknowledged generation 2, missed its confirm and rolled back
     * to 1, and its rolledBack report was written but lost with the link; its next hello says it runs 1. It must be
     * pushed 2 again (a DONE task kept it on 1 for ever), and the rollback is counted.
     */
    @Test
    void aBoxWhoseHelloReportsAnOlderGenerationThanItAcknowledgedIsPushedItAgain() throws Exception {
        String[] box = boxWithService();
        BandwidthProfile first;
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            agent.awaitConfirm(1, WAIT);
            first = agent.applied();
            assertThat(harness.changeOffer(box[1], "business.v1").status()).isEqualTo(200);
            agent.awaitConfirm(2, WAIT);
        }
        await().atMost(WAIT).until(() -> !harness.server.gateway().registry().isConnected(box[0]));
        assertThat(harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json().get(0).path("state").asText())
                .isEqualTo("done");
        try (TestAgent again = harness.agent(box[0], true).runs(first).connect(harness.agentPort())) {
            ProfilePush push = again.await(ProfilePush.class, WAIT);
            assertThat(push.generation()).isEqualTo(2);
            assertThat(push.offer()).isEqualTo("business.v1");
            again.awaitConfirm(2, WAIT);
        }
        await().atMost(WAIT).until(() -> harness.http.get("/1.0/overTheBox/" + box[1]).json()
                .path("appliedGeneration").asLong() == 2);
        JsonNode task = harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json().get(0);
        assertThat(task.path("generation").asLong()).isEqualTo(2);
        assertThat(task.path("rollbacks").asInt()).isEqualTo(1);
        assertThat(harness.http.get("/1.0/admin/audit?serviceName=" + box[1]).body()).contains("profile.lostByBox");
    }

    @Test
    void aChangeIsPushedAtOnceToAConnectedBox() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            agent.awaitConfirm(1, WAIT);
            assertThat(harness.changeOffer(box[1], "business.v1").status()).isEqualTo(200);
            assertThat(agent.await(ProfilePush.class, WAIT).generation()).isEqualTo(2);
            agent.awaitConfirm(2, WAIT);
        }
    }

    @Test
    void aSecondConnectionWithTheSameCertificateSupersedesTheFirst() throws Exception {
        String[] box = boxWithService();
        var credentials = harness.pki.device(box[0]);
        try (TestAgent first = harness.agent(credentials, box[0], true).connect(harness.agentPort());
             TestAgent second = harness.agent(credentials, box[0], true)) {
            first.await(Welcome.class, WAIT);
            second.connect(harness.agentPort());
            second.await(Welcome.class, WAIT);
            ErrorMessage error = first.await(ErrorMessage.class, WAIT);
            assertThat(error.code()).isEqualTo("superseded");
            assertThat(first.closeFuture()).succeedsWithin(WAIT);
            assertThat(second.isActive()).isTrue();
            assertThat(harness.server.gateway().registry().isConnected(box[0])).isTrue();
        }
    }

    @Test
    void revokingABoxClosesItsLiveSessionWithinASecond() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            agent.awaitConfirm(1, WAIT);
            Http.Answer answer = harness.http.post("/1.0/admin/devices/" + box[0] + "/revoke", null);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.json().path("state").asText()).isEqualTo("revoked");
            assertThat(agent.closeFuture()).succeedsWithin(Duration.ofSeconds(1));
            assertThat(agent.await(ErrorMessage.class, WAIT).code()).isEqualTo("forbidden");
        }
        // the certificate it used is now refused at the TLS handshake too
        assertThat(harness.server.context().revocations().entries()).isNotEmpty();
    }

    @Test
    void aRolledBackGenerationIsPushedAgainAtMostTheConfiguredTimesThenTheTaskIsInError() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], false).connect(harness.agentPort())) {
            for (int push = 1; push <= 3; push++) {
                ProfilePush profile = agent.await(ProfilePush.class, WAIT);
                assertThat(profile.generation()).isEqualTo(1);
                agent.send(new Applied(1, Applied.Status.ROLLED_BACK, "lost the server during confirm"));
            }
            await().atMost(WAIT).until(() -> "error".equals(harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks")
                    .json().get(0).path("state").asText()));
            JsonNode task = harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json().get(0);
            assertThat(task.path("outcome").asText()).isEqualTo("rolledBack");
            assertThat(task.path("rollbacks").asInt()).isEqualTo(2);
        }
    }

    @Test
    void anUnansweredPushIsSentAgainAfterTheAckTimeout() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], false).connect(harness.agentPort())) {
            assertThat(agent.await(ProfilePush.class, WAIT).generation()).isEqualTo(1);
            // no answer: the sweep (1 s) sends it again once the ack timeout (2 s) has passed
            assertThat(agent.await(ProfilePush.class, WAIT).generation()).isEqualTo(1);
            agent.send(new Applied(1, Applied.Status.APPLIED, null));
            agent.awaitConfirm(1, WAIT);
            JsonNode task = harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json().get(0);
            assertThat(task.path("attempts").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(task.path("state").asText()).isEqualTo("done");
        }
    }

    @Test
    void aRejectedProfileLeavesTheTaskInErrorWithTheBoxesReason() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], false).connect(harness.agentPort())) {
            agent.await(ProfilePush.class, WAIT);
            agent.send(new Applied(1, Applied.Status.REJECTED, "tc: qdisc refused"));
            await().atMost(WAIT).until(() -> "error".equals(harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks")
                    .json().get(0).path("state").asText()));
            JsonNode task = harness.http.get("/1.0/overTheBox/" + box[1] + "/tasks").json().get(0);
            assertThat(task.path("outcome").asText()).isEqualTo("rejected");
            assertThat(task.path("detail").asText()).isEqualTo("tc: qdisc refused");
            assertThat(harness.http.get("/1.0/admin/audit?serviceName=" + box[1]).body()).contains("profile.rejected");
        }
    }

    @Test
    void aReplacedBoxIsDecommissionedAndTheNewBoxGetsTheSameServiceIp() throws Exception {
        String[] box = boxWithService();
        String newSerial = "OTB3-NEW-" + ids.incrementAndGet();
        harness.registerBox(newSerial, "v3");
        try (TestAgent old = harness.agent(box[0], true).connect(harness.agentPort());
             TestAgent fresh = harness.agent(newSerial, true).connect(harness.agentPort())) {
            String ip = old.await(ProfilePush.class, WAIT).serviceIp();
            old.awaitConfirm(1, WAIT);
            fresh.await(Welcome.class, WAIT);
            Http.Answer bound = harness.http.post("/1.0/admin/services/" + box[1] + "/device",
                    "{\"deviceId\":\"" + newSerial + "\"}");
            assertThat(bound.status()).isEqualTo(200);
            ProfilePush push = fresh.await(ProfilePush.class, WAIT);
            assertThat(push.serviceIp()).isEqualTo(ip);
            assertThat(push.serviceName()).isEqualTo(box[1]);
            assertThat(old.await(Decommission.class, WAIT).reason()).contains(newSerial);
            assertThat(old.closeFuture()).succeedsWithin(WAIT);
            await().atMost(WAIT).until(() -> "decommissioned".equals(harness.http.get("/1.0/admin/devices/" + box[0])
                    .json().path("state").asText()));
        }
        // the box may have died between the write and saving it: told again at every hello, never refused
        try (TestAgent again = harness.agent(box[0], true).connect(harness.agentPort())) {
            again.await(Welcome.class, WAIT);
            assertThat(again.await(Decommission.class, WAIT).reason()).contains(newSerial);
            assertThat(again.closeFuture()).succeedsWithin(WAIT);
        }
        assertThat(harness.http.get("/1.0/admin/devices/" + box[0]).json().path("state").asText())
                .isEqualTo("decommissioned");
    }

    @Test
    void aRenewalIsSignedByTheFleetCaForTheBoxesOwnSerial() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            agent.await(Welcome.class, WAIT);
            KeyPair key = KeyPairs.p256(new java.security.SecureRandom());
            agent.send(new Renew(Pem.write(Csrs.create(key, box[0]))));
            CertificateChain chain = agent.await(CertificateChain.class, WAIT);
            var certificates = Pem.readCertificates(chain.chain());
            assertThat(Certificates.commonName(certificates.get(0))).isEqualTo(box[0]);
            certificates.get(0).verify(harness.pki.authority().certificate().getPublicKey());
            assertThat(certificates.get(0).getPublicKey()).isEqualTo(key.getPublic());
            agent.send(new Renew(Pem.write(Csrs.create(key, "OTB3-SOMEONE-ELSE"))));
            assertThat(agent.await(ErrorMessage.class, WAIT).detail()).contains("OTB3-SOMEONE-ELSE");
        }
    }

    @Test
    void anUnknownMessageTypeIsAnsweredUnsupportedAndTheSessionStaysOpen() throws Exception {
        String[] box = boxWithService();
        try (TestAgent agent = harness.agent(box[0], true).connect(harness.agentPort())) {
            agent.awaitConfirm(1, WAIT);
            agent.sendRawFrame("{\"type\":\"telemetry\",\"cpu\":3}");
            assertThat(agent.await(ErrorMessage.class, WAIT).code()).isEqualTo("unsupported");
            assertThat(harness.changeOffer(box[1], "business.v1").status()).isEqualTo(200);
            agent.awaitConfirm(2, WAIT);
            assertThat(agent.isActive()).isTrue();
        }
    }

    @Test
    void theFleetCountsBoxesByState() throws Exception {
        boxWithService();
        JsonNode fleet = harness.http.get("/1.0/admin/fleet").json();
        assertThat(fleet.path("devices").asLong()).isPositive();
        assertThat(fleet.path("devicesByState").has("registered")).isTrue();
        assertThat(fleet.path("tasksByState").has("todo")).isTrue();
        String metrics = harness.http.get("/metrics").body();
        assertThat(metrics).contains("# TYPE otb_sessions gauge").contains("otb_push_applied_seconds_bucket");
        assertThat(harness.http.get("/healthz").status()).isEqualTo(200);
        TimeUnit.MILLISECONDS.toMillis(1);
    }
}
