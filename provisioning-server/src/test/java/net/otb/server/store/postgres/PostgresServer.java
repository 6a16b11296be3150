package net.otb.server.store.postgres;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.ServerStartException;
import net.otb.server.auth.ApiSigner;
import net.otb.server.testing.Http;
import net.otb.server.testing.TestCredentials;
import net.otb.server.testing.TestAgent;

/**
 * A provisioning server on loopback (ports 0) whose store is a {@link PostgresSchema}, with every API module
 * (the offer change included), {@link TestPki}'s CA and server certificate, an {@link Http} client and
 * {@link TestAgent} boxes over real mTLS. It restarts on the same schema, as a second instance would.
 */
final class PostgresServer implements AutoCloseable {

    private final TestPki pki = new TestPki();
    private final EventLoopGroup agents = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ServerConfig config;
    private final Clock clock;
    private final Http http = new Http(0, ApiSigner.trusting(pki.anchors()), null);
    private ProvisioningServer server;
    // the boxes reconnect to this port: the old instance's until the new one listens, which they just retry
    private volatile int agentPort;

    PostgresServer(Path dir, PostgresSchema schema, Clock clock) throws IOException {
        this.clock = clock;
        Path pkiDir = Files.createDirectories(dir.resolve("pki"));
        Path ca = Files.writeString(pkiDir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        Path chain = Files.writeString(pkiDir.resolve("server.crt"), Pem.writeChain(pki.server().chain()));
        Path key = Files.writeString(pkiDir.resolve("server.key"), Pem.write(pki.server().key()));
        this.config = ServerConfig.ephemeral(dir.resolve("data"))
                .withStore(schema.store())
                .withPki(new ServerConfig.PkiConfig(ca, chain, key, null, pkiDir.resolve("revoked.json")))
                .withTls(TlsProvider.JDK);
    }

    PostgresServer start() throws ServerStartException {
        server = ProvisioningServer.builder(config).clock(clock).build();
        server.start();
        http.port(server.ports().httpPort());
        if (http.signer() == null) {
            http.signer(TestCredentials.signer(server, clock));
        }
        agentPort = server.ports().agentPort();
        return this;
    }

    /** Stops this instance (sessions end, pool closes) and starts a new one on the same schema. */
    void restart() throws ServerStartException {
        server.close();
        start();
    }

    ProvisioningServer server() {
        return server;
    }

    Http http() {
        return http;
    }

    int agentPort() {
        return agentPort;
    }

    /** A box that applies every profile and reconnects to whichever instance is running. */
    TestAgent box(String serial, String model) {
        return new TestAgent(agents, pki.device(serial), pki.anchors(), serial, model, true)
                .reconnectTo(this::agentPort);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        agents.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
