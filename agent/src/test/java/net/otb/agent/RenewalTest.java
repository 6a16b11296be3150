package net.otb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.agent.backend.MemoryBackend;
import net.otb.agent.tls.CredentialStore;
import net.otb.agent.testing.RecordingListener;
import net.otb.agent.testing.TestServer;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Renew;
import net.otb.protocol.pki.Certificates;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificate renewal inside the window: a fresh key, the new chain stored atomically, presented next time. */
class RenewalTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final String DEVICE = "OTB3-000777";

    @TempDir
    Path dir;

    @Test
    void aSessionThatEntersTheRenewalWindowAsksAtTheNextHeartbeat() throws Exception {
        TestPki pki = new TestPki();
        RecordingListener events = new RecordingListener();
        // the clock jumps past the window's start while the session is up
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong();
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.now().plusMillis(offset.get());
            }
        };
        try (TestServer server = TestServer.start(pki)) {
            server.heartbeatSeconds(1);
            Agent agent = Agent.builder()
                    .servers(List.of(server.address()))
                    .credentials(pki.device(DEVICE))
                    .trust(pki.anchors(), TlsProvider.JDK)
                    .backend(new MemoryBackend())
                    .stateStore(net.otb.agent.state.StateStore.inMemory())
                    .listener(events)
                    .clock(clock)
                    .settings(AgentSettings.defaults().withRenewalWindow(Duration.ofDays(7)))
                    .build();
            agent.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                TestServer.Connection connection = server.nextConnection(WAIT);
                connection.awaitHello(WAIT);
                events.await("connected:", WAIT);
                assertThat(connection.poll(Duration.ofMillis(1_500)) instanceof Renew).isFalse();
                offset.set(Duration.ofDays(25).toMillis());
                Renew renew = connection.expect(Renew.class, WAIT);
                assertThat(Pem.readCsr(renew.csr()).getSubject().toString()).contains(DEVICE);
                // asked once per session, not at every beat
                assertThat(connection.poll(Duration.ofMillis(2_500)) instanceof Renew).isFalse();
            } finally {
                agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void renewalSwapsTheCertificateAndTheNextConnectionPresentsIt() throws Exception {
        TestPki pki = new TestPki();
        Credentials factory = pki.device(DEVICE);
        Path key = dir.resolve("agent.key");
        Path chain = dir.resolve("agent.crt");
        Files.writeString(key, Pem.write(factory.key()));
        Files.writeString(chain, Pem.writeChain(factory.chain()));
        Path state = dir.resolve("state");
        RecordingListener events = new RecordingListener();
        try (TestServer server = TestServer.start(pki)) {
            Agent agent = Agent.builder()
                    .servers(List.of(server.address()))
                    .credentials(CredentialStore.files(key, chain, state))
                    .trust(pki.anchors(), TlsProvider.JDK)
                    .backend(new MemoryBackend())
                    .stateDirectory(state)
                    .listener(events)
                    // the test certificates live 30 days: a 60-day window puts them inside it
                    .settings(AgentSettings.defaults().withRenewalWindow(Duration.ofDays(60))
                            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200)))
                    .build();
            agent.start().toCompletableFuture().get(5, TimeUnit.SECONDS);
            try {
                TestServer.Connection first = server.nextConnection(WAIT);
                assertThat(first.certificate()).isEqualTo(factory.leaf());
                Renew renew = first.expect(Renew.class, WAIT);

                // a chain for some other key is refused: the agent keeps its certificate
                KeyPair stranger = KeyPairs.p256(new SecureRandom());
                X509Certificate wrong = pki.authority().issueDevice(stranger.getPublic(), DEVICE, Instant.now(),
                        Duration.ofDays(365));
                first.send(new CertificateChain(Pem.writeChain(List.of(wrong, pki.authority().certificate()))));

                X509Certificate renewed = pki.authority().signDeviceCsr(Pem.readCsr(renew.csr()), DEVICE,
                        Instant.now(), Duration.ofDays(365));
                first.send(new CertificateChain(Pem.writeChain(List.of(renewed, pki.authority().certificate()))));
                assertThat(events.await("renewed:", WAIT)).isEqualTo("renewed:" + Certificates.serialHex(renewed));
                assertThat(events.all()).filteredOn(e -> e.startsWith("renewed:")).hasSize(1);
                assertThat(agent.certificate()).isEqualTo(renewed);
                // the session in progress keeps its certificate; the next one presents the new one
                first.close();
                TestServer.Connection second = server.nextConnection(WAIT);
                assertThat(second.certificate()).isEqualTo(renewed);
                second.awaitHello(WAIT);
                // the renewed certificate is outside the window: no second renewal
                assertThat(second.poll(Duration.ofMillis(300)) instanceof Renew).isFalse();
            } finally {
                agent.stop().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        }
        // a restart uses the renewed pair kept in the state folder, the factory files untouched
        Credentials reloaded = CredentialStore.files(key, chain, state).current();
        assertThat(Certificates.serialHex(reloaded.leaf())).isNotEqualTo(Certificates.serialHex(factory.leaf()));
        assertThat(reloaded.leaf().getPublicKey()).isNotEqualTo(factory.leaf().getPublicKey());
        assertThat(Pem.readCertificates(chain).get(0)).isEqualTo(factory.leaf());
    }
}
