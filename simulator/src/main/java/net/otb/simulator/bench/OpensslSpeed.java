package net.otb.simulator.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The crypto bound of a full mTLS 1.3 handshake on this machine, from {@code openssl speed ecdsap256
 * ecdhp256}. Per handshake the server signs once (its CertificateVerify), verifies twice (the client's
 * CertificateVerify and the CA's signature on the client certificate) and does one ECDH; the bound is one
 * core's handshakes per second if it did nothing else: {@code 1 / (1/sign + 2/verify + 1/ecdh)}.
 *
 * @param signPerSecond ECDSA P-256 signatures per second, one core
 * @param verifyPerSecond ECDSA P-256 verifications per second, one core
 * @param ecdhPerSecond ECDH P-256 operations per second, one core
 */
public record OpensslSpeed(double signPerSecond, double verifyPerSecond, double ecdhPerSecond) {

    private static final Pattern ECDSA = Pattern.compile("256 bits ecdsa \\(nistp256\\)\\s+\\S+s\\s+\\S+s\\s+([0-9.]+)\\s+([0-9.]+)");
    private static final Pattern ECDH = Pattern.compile("256 bits ecdh \\(nistp256\\)\\s+\\S+s\\s+([0-9.]+)");

    /** Handshakes per second one core could do if it only did the handshake's public-key operations. */
    public double handshakesPerCoreSecond() {
        return 1.0 / (1.0 / signPerSecond + 2.0 / verifyPerSecond + 1.0 / ecdhPerSecond);
    }

    /**
     * Parses the output of {@code openssl speed}.
     *
     * @throws IllegalArgumentException when the figures are not in it
     */
    public static OpensslSpeed parse(String output) {
        Matcher ecdsa = ECDSA.matcher(output);
        Matcher ecdh = ECDH.matcher(output);
        if (!ecdsa.find() || !ecdh.find()) {
            throw new IllegalArgumentException("no P-256 ECDSA/ECDH figures in the openssl speed output");
        }
        return new OpensslSpeed(Double.parseDouble(ecdsa.group(1)), Double.parseDouble(ecdsa.group(2)),
                Double.parseDouble(ecdh.group(1)));
    }

    /**
     * Runs {@code openssl speed -seconds 2 ecdsap256 ecdhp256} (about 6 s).
     *
     * @throws IOException when openssl is missing or fails; the bench then reports no ratio
     */
    public static OpensslSpeed measure() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("openssl", "speed", "-seconds", "2", "ecdsap256", "ecdhp256")
                .redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("openssl speed failed: " + new String(out, StandardCharsets.UTF_8).strip());
        }
        return parse(new String(out, StandardCharsets.UTF_8));
    }
}
