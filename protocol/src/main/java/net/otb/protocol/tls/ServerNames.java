package net.otb.protocol.tls;

import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import net.otb.protocol.IpAddresses;

/**
 * Whether a server certificate names the host a box dialled (RFC 6125 for DNS names, RFC 5280 iPAddress
 * for address literals): exact DNS names ignoring case and a final dot, a wildcard only as the whole left-most
 * label of a name of at least three labels, matching exactly one label; no fallback to the subject's CN, which
 * the fleet's certificates never rely on.
 *
 * <p>The JDK's own check ({@code "HTTPS"} endpoint identification inside its trust manager) first loads the
 * JVM's whole public CA store to decide whether the chain ends at a public CA: ~150 certificates parsed and
 * ~5 MB allocated on every box start, for a fleet that trusts one private CA (docs/benchmarks.md).
 */
final class ServerNames {

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private ServerNames() {
    }

    /**
     * @throws CertificateException naming the host and the names the certificate holds, when none matches
     */
    static void check(X509Certificate certificate, String host) throws CertificateException {
        if (host == null || host.isEmpty()) {
            throw new CertificateException("no host name to check the server certificate against");
        }
        String address = addressLiteral(host);
        List<String> names = new ArrayList<>();
        Collection<List<?>> alternatives;
        try {
            alternatives = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new CertificateException("the server certificate's subject alternative names are unreadable: "
                    + e.getMessage(), e);
        }
        if (alternatives != null) {
            for (List<?> alternative : alternatives) {
                int type = (Integer) alternative.get(0);
                Object value = alternative.get(1);
                if (!(value instanceof String name)) {
                    continue;
                }
                if (address != null && type == SAN_IP && address.equals(addressLiteral(name))) {
                    return;
                }
                if (address == null && type == SAN_DNS && dnsMatches(name, host)) {
                    return;
                }
                if (type == SAN_IP || type == SAN_DNS) {
                    names.add(name);
                }
            }
        }
        throw new CertificateException("the server certificate does not name " + host + " (it names "
                + (names.isEmpty() ? "no DNS name or address" : String.join(", ", names)) + ")");
    }

    /** The canonical text of an address literal (brackets allowed around IPv6), or null for a DNS name. */
    private static String addressLiteral(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            return IpAddresses.canonical(bare);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean dnsMatches(String pattern, String host) {
        String name = normalise(pattern);
        String wanted = normalise(host);
        if (name.isEmpty() || wanted.isEmpty()) {
            return false;
        }
        if (!name.startsWith("*.")) {
            return name.indexOf('*') < 0 && name.equals(wanted);
        }
        String suffix = name.substring(1);
        // "*.example.com" at least: never a wildcard over a whole registrable domain or a single label
        if (suffix.indexOf('*') >= 0 || suffix.chars().filter(c -> c == '.').count() < 2) {
            return false;
        }
        int firstDot = wanted.indexOf('.');
        return firstDot > 0 && wanted.substring(firstDot).equals(suffix);
    }

    private static String normalise(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
