package net.otb.server.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import net.otb.server.auth.ApiSigner;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.protocol.testing.TestPki;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.ServerStartException;
import net.otb.server.gateway.GatewayConfig;

/**
 * A provisioning server on loopback ports 0 over H2 in a test folder, trusting {@link TestPki}'s CA (whose
 * key also signs renewals), plus an HTTPS client signing with credentials of every role and an event loop for
 * {@link TestAgent}s.
 */
public final class ServerHarness implements AutoCloseable {

    public final TestPki pki = new TestPki();
    public final EventLoopGroup agents = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    public final ProvisioningServer server;
    public final Http http;

    public ServerHarness(Path dir, java.util.function.UnaryOperator<GatewayConfig> gateway) throws IOException,
            ServerStartException {
        this(dir, gateway, null);
    }

    public ServerHarness(Path dir, java.util.function.UnaryOperator<GatewayConfig> gateway,
                         net.otb.server.api.ApiModule module) throws IOException, ServerStartException {
        Path pkiDir = Files.createDirectories(dir.resolve("pki"));
        Path ca = Files.writeString(pkiDir.resolve("ca.crt"), Pem.write(pki.authority().certificate()));
        Path caKey = Files.writeString(pkiDir.resolve("ca.key"), Pem.write(pki.authority().privateKey()));
        Path chain = Files.writeString(pkiDir.resolve("server.crt"), Pem.writeChain(pki.server().chain()));
        Path key = Files.writeString(pkiDir.resolve("server.key"), Pem.write(pki.server().key()));
        ServerConfig base = ServerConfig.ephemeral(dir.resolve("data"));
        ServerConfig config = base.withGateway(gateway.apply(base.gateway()))
                .withPki(new ServerConfig.PkiConfig(ca, chain, key, caKey, pkiDir.resolve("revoked.json")))
                .withTls(TlsProvider.AUTO);
        ProvisioningServer.Builder builder = ProvisioningServer.builder(config).loadServiceModules(false);
        if (module != null) {
            builder.module(module);
        }
        server = builder.build();
        server.start();
        http = new Http(server.ports().httpPort(), ApiSigner.trusting(pki.anchors()),
                TestCredentials.signer(server, Clock.systemUTC()));
    }

    public int agentPort() {
        return server.ports().agentPort();
    }

    public TestAgent agent(String serial, boolean autoApply) {
        return agent(pki.device(serial), serial, autoApply);
    }

    public TestAgent agent(Credentials credentials, String serial, boolean autoApply) {
        return new TestAgent(agents, credentials, pki.anchors(), serial, "v3", autoApply);
    }

    public void registerBox(String serial, String model) throws IOException, InterruptedException {
        Http.Answer answer = http.post("/1.0/admin/devices", "{\"serial\":\"" + serial + "\",\"model\":\"" + model + "\"}");
        if (answer.status() != 201) {
            throw new IllegalStateException("register " + serial + ": " + answer.status() + " " + answer.body());
        }
    }

    public void createService(String name, String ip, String serial, String offer) throws IOException, InterruptedException {
        Http.Answer answer = http.post("/1.0/admin/services", "{\"serviceName\":\"" + name + "\",\"account\":\"acc-" + name
                + "\",\"offer\":\"" + offer + "\",\"serviceIp\":\"" + ip + "\""
                + (serial == null ? "" : ",\"deviceId\":\"" + serial + "\"") + "}");
        if (answer.status() != 201) {
            throw new IllegalStateException("create " + name + ": " + answer.status() + " " + answer.body());
        }
    }

    public Http.Answer changeOffer(String service, String offer) throws IOException, InterruptedException {
        return http.post("/1.0/admin/services/" + service + "/desiredOffer", "{\"offer\":\"" + offer + "\"}");
    }

    @Override
    public void close() {
        server.close();
        agents.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
