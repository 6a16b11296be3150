package net.otb.agent.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

/**
 * Makes the TLS handler of each connection of one box: presents the box's credentials and checks that the
 * server is the fleet's and is the host dialled. Made by {@link ClientTls#contextFor}.
 */
public interface ClientTlsContext {

    /** A handler for a new connection to {@code host:port}; the host is checked against the server's SANs. */
    SslHandler newHandler(ByteBufAllocator alloc, String host, int port);
}
