package net.otb.protocol;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses IP address literals without ever asking DNS: a service IP is data, never a host name.
 */
public final class IpAddresses {

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IpAddresses() {
    }

    /**
     * Returns the canonical text of an IPv4 or IPv6 literal.
     *
     * @throws IllegalArgumentException when {@code text} is not an address literal
     */
    public static String canonical(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("serviceIp is required");
        }
        if (IPV4.matcher(text).matches()) {
            return text;
        }
        // A string with ':' is parsed by the JDK as an IPv6 literal only; it never reaches a resolver.
        if (text.indexOf(':') >= 0 && IPV6_CHARS.matcher(text).matches()) {
            try {
                InetAddress address = InetAddress.getByName(text);
                if (address instanceof Inet6Address) {
                    return address.getHostAddress();
                }
                // "::ffff:1.2.3.4" comes back as IPv4: keep the canonical IPv4 text
                return address.getHostAddress();
            } catch (UnknownHostException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("serviceIp is not an IPv4 or IPv6 address: " + text);
    }

    /** Whether {@code text} is an IPv4 or IPv6 literal. */
    public static boolean isAddress(String text) {
        try {
            canonical(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
