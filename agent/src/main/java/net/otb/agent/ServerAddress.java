package net.otb.agent;

/**
 * A provisioning server the agent may connect to. The host is also the name the server's certificate must
 * carry (hostname verification).
 */
public record ServerAddress(String host, int port) {

    public static final int DEFAULT_PORT = 4443;

    public ServerAddress {
        if (host == null || host.isBlank() || host.length() > 253 || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("host must be a host name or an IP address, got '" + host + "'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
    }

    /** Parses {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}; the port defaults to 4443. */
    public static ServerAddress parse(String text) {
        String value = text == null ? "" : text.trim();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("missing ']' in '" + text + "'");
            }
            String host = value.substring(1, end);
            String rest = value.substring(end + 1);
            if (rest.isEmpty()) {
                return new ServerAddress(host, DEFAULT_PORT);
            }
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("expected ':port' after ']' in '" + text + "'");
            }
            return new ServerAddress(host, port(rest.substring(1), text));
        }
        int colon = value.lastIndexOf(':');
        if (colon >= 0 && value.indexOf(':') != colon) {
            throw new IllegalArgumentException("write an IPv6 address as [address]:port, got '" + text + "'");
        }
        if (colon < 0) {
            return new ServerAddress(value, DEFAULT_PORT);
        }
        return new ServerAddress(value.substring(0, colon), port(value.substring(colon + 1), text));
    }

    private static int port(String digits, String text) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the port of '" + text + "' is not a number");
        }
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
