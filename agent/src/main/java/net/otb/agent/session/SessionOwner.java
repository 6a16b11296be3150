package net.otb.agent.session;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import net.otb.protocol.Applied;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Renew;
import net.otb.protocol.Welcome;

/**
 * What a session asks of the agent that owns it. The session handler turns messages into these calls and
 * holds no rule of its own. Called on the channel's event loop.
 */
public interface SessionOwner {

    String deviceId();

    /** The {@code hello} to send once TLS is up. */
    Hello hello();

    /** The server welcomed the session. */
    void welcomed(Welcome welcome);

    /** A push; completes with the answer, or {@code null} to send nothing. */
    CompletionStage<Applied> push(ProfilePush push);

    void confirm(long generation);

    /** Reports the session must send now (a rollback the server has not heard of). */
    Optional<Applied> pendingReport();

    /** The server received {@code report}. */
    void reported(Applied report);

    /**
     * A {@code renew} to send, if the certificate is inside its renewal window and this session has not asked yet;
     * asked after {@code welcome} and at each heartbeat.
     */
    Optional<Renew> renewal();

    /** The server answered {@code renew}. */
    void certificate(String chainPem);

    void decommission(String reason);

    void retryAfter(int seconds);

    /** The server sent an {@code error}; it is logged already. */
    void serverError(ErrorMessage error);

    /** The connection ended; {@code reason} says why, {@code welcomed} whether a session had begun. */
    void disconnected(String reason, boolean welcomed);
}
