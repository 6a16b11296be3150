package net.otb.simulator.lab;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import net.otb.agent.ServerAddress;
import net.otb.simulator.fleet.ApiAccess;
import net.otb.simulator.fleet.CredentialIssuer;

/** A provisioning server the simulator drives: where boxes and the order system reach it, its PKI, its life. */
public interface ServerHandle extends AutoCloseable {

    /** Where agents connect; the same across restarts. */
    ServerAddress agentAddress();

    /** The HTTP API's base, e.g. {@code https://127.0.0.1:8443/}; the same across restarts. */
    URI httpBase();

    /** The API's base, the trust of its certificate and credentials of every role, for a {@code ServerApi}. */
    ApiAccess apiAccess();

    /** The CA that the server trusts, to issue box certificates from. */
    CredentialIssuer issuer();

    /** The anchors a box trusts the server with. */
    List<X509Certificate> anchors();

    /** The server's TLS engine, e.g. {@code boringssl (BoringSSL)}. */
    String tlsProviderName();

    /**
     * Stops the server: cleanly, or abruptly (a crash: no goodbye to the sessions, nothing flushed beyond what
     * was committed).
     */
    void stop(boolean crash) throws Exception;

    /** Starts it again on the same data and ports. */
    void start() throws Exception;

    @Override
    void close();
}
