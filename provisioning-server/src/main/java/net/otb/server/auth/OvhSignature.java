package net.otb.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * OVH's request signature, as its official clients compute it: {@code "$1$" + hex(SHA-1(applicationSecret + "+"
 * + consumerKey + "+" + METHOD + "+" + fullUrl + "+" + body + "+" + timestamp))}, where fullUrl is
 * {@code https://} + the host the client was configured with (no port) + base path + path + query. The server
 * and our own clients (tests, simulator) use this one function.
 */
public final class OvhSignature {

    /** The version prefix of the only scheme there is. */
    public static final String PREFIX = "$1$";

    private OvhSignature() {
    }

    /**
     * @param body the exact body sent, empty for none
     * @param timestamp epoch seconds, as in {@code X-Ovh-Timestamp}
     */
    public static String sign(String applicationSecret, String consumerKey, String method, String fullUrl, String body,
                              long timestamp) {
        String data = applicationSecret + "+" + consumerKey + "+" + method + "+" + fullUrl + "+" + body + "+" + timestamp;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(data.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }

    /**
     * The URL a client signs: {@code https://} + host (a {@code Host} header's port is dropped, as the clients
     * sign their configured host without it) + the request target (path and query, as sent).
     */
    public static String fullUrl(String hostHeader, String requestTarget) {
        return "https://" + hostWithoutPort(hostHeader) + requestTarget;
    }

    /** {@code 127.0.0.1:8443} → {@code 127.0.0.1}; {@code [::1]:8443} → {@code [::1]}; a bare host is kept. */
    public static String hostWithoutPort(String hostHeader) {
        String host = hostHeader.trim();
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 || host.indexOf(':') != colon ? host : host.substring(0, colon);
    }

    /** Compares two signatures in time independent of where they differ. */
    public static boolean same(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
}
