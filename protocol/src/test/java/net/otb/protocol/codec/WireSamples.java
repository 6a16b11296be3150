package net.otb.protocol.codec;

import java.util.List;
import net.otb.protocol.Applied;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.CertificateChain;
import net.otb.protocol.Confirm;
import net.otb.protocol.Decommission;
import net.otb.protocol.ErrorCode;
import net.otb.protocol.ErrorMessage;
import net.otb.protocol.Hello;
import net.otb.protocol.Message;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.ProfilePush;
import net.otb.protocol.Renew;
import net.otb.protocol.RetryAfter;
import net.otb.protocol.Welcome;

/**
 * One sample per message shape (several for the variants that change the JSON), each with the exact JSON the
 * encoder wrote for it when the codec still used Jackson data binding: the wire format must not move.
 * Plain Java with no test library, so that it also runs in a class loader without one.
 */
final class WireSamples {

    static final BandwidthProfile PROFILE =
            new BandwidthProfile(4, "otb-123456", "business.v1", 1_000_000, 100_000, "2001:DB8::0:1");

    /** A message and its bytes on the wire. */
    record Sample(Message message, String json) {
    }

    private WireSamples() {
    }

    static List<Sample> all() {
        return List.of(
                new Sample(new Hello(List.of(1, 2), "OTB3-000123", "v3", "3.1.0", "0.1.0", PROFILE,
                        List.of("shaping.htb")),
                        "{\"type\":\"hello\",\"protocols\":[1,2],\"deviceId\":\"OTB3-000123\",\"model\":\"v3\","
                        + "\"firmware\":\"3.1.0\",\"agentVersion\":\"0.1.0\",\"applied\":{\"generation\":4,"
                        + "\"serviceName\":\"otb-123456\",\"offer\":\"business.v1\",\"downKbps\":1000000,"
                        + "\"upKbps\":100000,\"serviceIp\":\"2001:db8::1\"},\"capabilities\":[\"shaping.htb\"]}"),
                new Sample(new Hello(List.of(1), "OTB2C-9", "v2c", "2.9", "0.1.0", null, null),
                        "{\"type\":\"hello\",\"protocols\":[1],\"deviceId\":\"OTB2C-9\",\"model\":\"v2c\","
                        + "\"firmware\":\"2.9\",\"agentVersion\":\"0.1.0\",\"capabilities\":[]}"),
                new Sample(new Welcome(1, "s-1f2e", 30),
                        "{\"type\":\"welcome\",\"protocol\":1,\"sessionId\":\"s-1f2e\",\"heartbeatSeconds\":30}"),
                new Sample(ProfilePush.of(PROFILE, 120),
                        "{\"type\":\"profile\",\"generation\":4,\"serviceName\":\"otb-123456\",\"offer\":\"business.v1\","
                        + "\"downKbps\":1000000,\"upKbps\":100000,\"serviceIp\":\"2001:db8::1\",\"confirmSeconds\":120}"),
                new Sample(new Applied(4, Applied.Status.APPLIED, null),
                        "{\"type\":\"applied\",\"generation\":4,\"status\":\"applied\"}"),
                new Sample(new Applied(4, Applied.Status.REJECTED, "tc refused: é ✓"),
                        "{\"type\":\"applied\",\"generation\":4,\"status\":\"rejected\",\"detail\":\"tc refused: é ✓\"}"),
                // quotes, backslash and controls escaped; U+2028 raw; a character outside the BMP as two escapes
                new Sample(new Applied(4, Applied.Status.REJECTED, "\"q\" \\ \n\t\u0001 \u2028 \uD83D\uDE00"),
                        "{\"type\":\"applied\",\"generation\":4,\"status\":\"rejected\","
                        + "\"detail\":\"\\\"q\\\" \\\\ \\n\\t\\u0001 \u2028 \\uD83D\\uDE00\"}"),
                new Sample(new Applied(3, Applied.Status.ROLLED_BACK, "no confirm"),
                        "{\"type\":\"applied\",\"generation\":3,\"status\":\"rolledBack\",\"detail\":\"no confirm\"}"),
                new Sample(new Confirm(4), "{\"type\":\"confirm\",\"generation\":4}"),
                new Sample(new Ping(0), "{\"type\":\"ping\",\"seq\":0}"),
                new Sample(new Pong(Long.MAX_VALUE), "{\"type\":\"pong\",\"seq\":9223372036854775807}"),
                new Sample(new Decommission("box replaced by OTB3-000124"),
                        "{\"type\":\"decommission\",\"reason\":\"box replaced by OTB3-000124\"}"),
                new Sample(new Renew("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"),
                        "{\"type\":\"renew\",\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n"
                        + "-----END CERTIFICATE REQUEST-----\\n\"}"),
                new Sample(new CertificateChain("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
                        "{\"type\":\"certificate\",\"chain\":\"-----BEGIN CERTIFICATE-----\\nMIIB\\n"
                        + "-----END CERTIFICATE-----\\n\"}"),
                new Sample(new RetryAfter(17), "{\"type\":\"retryAfter\",\"seconds\":17}"),
                new Sample(ErrorMessage.of(ErrorCode.UNSUPPORTED, "type futureThing"),
                        "{\"type\":\"error\",\"code\":\"unsupported\",\"detail\":\"type futureThing\"}"),
                new Sample(new ErrorMessage("someFutureCode", null), "{\"type\":\"error\",\"code\":\"someFutureCode\"}"));
    }
}
