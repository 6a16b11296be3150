package net.otb.server;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;

/**
 * The server's two listeners, agent and HTTP, as a start binds them: a port in use is reported with the listener, the
 * address and the port ("cannot bind the agent port 127.0.0.1:4443: Address already in use"), and is found by a probe
 * before the start writes anything (database, dev PKI).
 */
final class Listeners {

    /** A bind as Netty does it: may throw {@link BindException} without declaring it. */
    interface Bind {
        InetSocketAddress run() throws Exception;
    }

    private Listeners() {
    }

    /**
     * Binds and closes a socket on {@code host:port} to find a port in use before anything is written; port 0 always
     * binds. The real bind may still lose a race with another process: {@link #bind} names the port then too.
     */
    static void probe(String listener, String host, int port) throws ServerStartException {
        if (port == 0) {
            return;
        }
        InetSocketAddress address = resolve(listener, host, port);
        try (ServerSocket socket = new ServerSocket()) {
            // as a listening server socket: a port held only by closed connections (TIME_WAIT) is free
            socket.setReuseAddress(true);
            socket.bind(address);
        } catch (IOException e) {
            throw failure(listener, host, port, e);
        }
    }

    /** Runs the bind; a failure to bind becomes a {@link ServerStartException} that names the listener and port. */
    static InetSocketAddress bind(String listener, String host, int port, Bind bind)
            throws ServerStartException, InterruptedException {
        try {
            return bind.run();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw failure(listener, host, port, e instanceof BindException ? e : (Exception) e.getCause());
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new ServerStartException("cannot open the " + listener + " port " + host + ":" + port + ": " + e, e);
        }
    }

    private static InetSocketAddress resolve(String listener, String host, int port) throws ServerStartException {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new ServerStartException("cannot bind the " + listener + " port: unknown host " + host, e);
        }
    }

    private static ServerStartException failure(String listener, String host, int port, Exception e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ServerStartException("cannot bind the " + listener + " port " + host + ":" + port + ": " + reason
                + (reason.contains("in use") ? " (another process listens there; choose another port with --"
                + (listener.equals("agent") ? "agent" : "http") + "-port)" : ""), e);
    }
}
