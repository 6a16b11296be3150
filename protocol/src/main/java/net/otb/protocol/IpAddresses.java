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
                if (address instanceof Inet6Address v6) {
                    if (v6.getScopeId() != 0 || v6.getScopedInterface() != null) {
                        throw new IllegalArgumentException("serviceIp must not carry a zone: " + text);
                    }
                    return rfc5952(v6.getAddress());
                }
                // "::ffff:1.2.3.4" comes back as IPv4: keep the canonical IPv4 text
                return address.getHostAddress();
            } catch (UnknownHostException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("serviceIp is not an IPv4 or IPv6 address: " + text);
    }

    /**
     * The RFC 5952 text of an IPv6 address: lower-case hex, no leading zeros, the longest run of two or more
     * zero groups (the first of equal runs) written "::". The JDK writes every group, so the same address
     * would otherwise have two spellings, and the service IP is compared as text.
     */
    static String rfc5952(byte[] address) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((address[2 * i] & 0xff) << 8) | (address[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
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
