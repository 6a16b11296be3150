package net.otb.protocol.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The crypto bound of a full mTLS 1.3 handshake on this machine, from {@code openssl speed ecdsap256
 * ecdhp256}, for {@link HandshakeBenchmark} and the simulator's fleet bench (docs/benchmarks.md): per handshake the
 * server makes an ECDHE key (about a signature's cost) and derives the secret (one ECDH), signs its
 * CertificateVerify, and verifies two signatures (the client's CertificateVerify and the CA's on the client
 * certificate): {@code 1 / (2/sign + 2/verify + 1/ecdh)} handshakes per second of one core.
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
        return 1.0 / (2.0 / signPerSecond + 2.0 / verifyPerSecond + 1.0 / ecdhPerSecond);
    }

    /** The simpler count some quote: one sign, one verify, two ECDH operations. */
    public double simpleHandshakesPerCoreSecond() {
        return 1.0 / (1.0 / signPerSecond + 1.0 / verifyPerSecond + 2.0 / ecdhPerSecond);
    }

    /**
     * Resumed TLS 1.3 handshakes (PSK with ECDHE, the only resumption BoringSSL offers, which keeps forward
     * secrecy) per second of one core on public-key work alone: the server makes a key share and derives the
     * ECDH secret; no signature, no verification. Key generation is a fixed-base scalar multiplication, as is a
     * signature, so the sign rate stands for it.
     */
    public double resumedHandshakesPerCoreSecond() {
        return 1 / (1 / signPerSecond + 1 / ecdhPerSecond);
    }

    /**
     * Parses the output of {@code openssl speed}.
     *
     * @throws IllegalArgumentException when the figures are not in it
     */
    public static OpensslSpeed parse(String output) {
        double sign = 0;
        double verify = 0;
        double ecdh = 0;
        for (String line : output.split("\\R")) {
            // machine-readable (-mr): "+F4:i:256:sign/s:verify/s" for ECDSA, "+F5:i:256:ops/s:..." for ECDH
            String[] f = line.split(":");
            if (line.startsWith("+F4:") && f.length >= 5 && f[2].equals("256")) {
                sign = Double.parseDouble(f[3]);
                verify = Double.parseDouble(f[4]);
            } else if (line.startsWith("+F5:") && f.length >= 4 && f[2].equals("256")) {
                ecdh = Double.parseDouble(f[3]);
            }
        }
        if (sign > 0 && verify > 0 && ecdh > 0) {
            return new OpensslSpeed(sign, verify, ecdh);
        }
        Matcher ecdsaLine = ECDSA.matcher(output);
        Matcher ecdhLine = ECDH.matcher(output);
        if (!ecdsaLine.find() || !ecdhLine.find()) {
            throw new IllegalArgumentException("no P-256 ECDSA/ECDH figures in the openssl speed output");
        }
        return new OpensslSpeed(Double.parseDouble(ecdsaLine.group(1)), Double.parseDouble(ecdsaLine.group(2)),
                Double.parseDouble(ecdhLine.group(1)));
    }

    /**
     * Runs {@code openssl speed -mr -seconds 2 ecdsap256 ecdhp256} (about 6 s).
     *
     * @throws IOException when openssl is missing or fails; the bench then reports no ratio
     */
    public static OpensslSpeed measure() throws IOException, InterruptedException {
        return measure("openssl", 2);
    }

    /**
     * Runs {@code binary speed -mr -seconds SECONDS ecdsap256 ecdhp256}.
     *
     * @throws IOException when the binary is missing or fails
     * @throws IllegalArgumentException when its output holds no P-256 figures
     */
    public static OpensslSpeed measure(String binary, int seconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(binary, "speed", "-mr", "-seconds", Integer.toString(seconds),
                "ecdsap256", "ecdhp256").redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("openssl speed failed: " + new String(out, StandardCharsets.UTF_8).strip());
        }
        return parse(new String(out, StandardCharsets.UTF_8));
    }
}
