package net.otb.simulator.rollout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (the Debian package {@code chromium}) run once per page: {@code --dump-dom} prints the page as its
 * scripts left it once their fetches are done ({@code --virtual-time-budget}), {@code --screenshot} saves it. Every
 * run gets a fresh profile, and the flags that keep the browser off the network and usable as root. A server's HTTPS
 * certificate is trusted by its key alone ({@link #trusting}), not by a blanket ignore of certificate errors.
 */
final class Chromium {

    private static final Duration RUN_LIMIT = Duration.ofSeconds(90);

    private final Path binary;
    private final Path scratch;
    private final List<String> trust;
    private final java.util.concurrent.atomic.AtomicInteger runs;

    private Chromium(Path binary, Path scratch, List<String> trust, java.util.concurrent.atomic.AtomicInteger runs) {
        this.binary = binary;
        this.scratch = scratch;
        this.trust = trust;
        this.runs = runs;
    }

    /**
     * The same browser, trusting exactly the certificates of these keys: {@code --ignore-certificate-errors-spki-list},
     * which Chromium honours only with a {@code --user-data-dir} (every run has one), and which leaves every other
     * certificate checked as usual.
     *
     * @param certificate the server's certificate
     */
    Chromium trusting(java.security.cert.X509Certificate certificate) {
        return new Chromium(binary, scratch, List.of("--ignore-certificate-errors-spki-list=" + spkiSha256(certificate)),
                runs);
    }

    /** Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (DER), as Chromium's SPKI list takes it. */
    static String spkiSha256(java.security.cert.X509Certificate certificate) {
        try {
            return java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(certificate.getPublicKey().getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The browser, if installed ({@code OTB_CHROMIUM} names another binary). */
    static Optional<Chromium> find(Path scratch) {
        String named = System.getenv("OTB_CHROMIUM");
        for (String candidate : named != null ? List.of(named) : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return Optional.of(new Chromium(path, scratch, List.of(), new java.util.concurrent.atomic.AtomicInteger()));
            }
        }
        return Optional.empty();
    }

    /** The page's DOM once its scripts have run for {@code budget} of virtual time. */
    String dumpDom(String url, Duration budget) throws IOException, InterruptedException {
        return run(url, budget, "--dump-dom");
    }

    /** Saves a PNG of the page, {@code width} × {@code height} CSS pixels. */
    void screenshot(String url, Duration budget, Path png, int width, int height) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run(url, budget, "--window-size=" + width + "," + height, "--hide-scrollbars",
                "--screenshot=" + png.toAbsolutePath());
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            throw new IOException("chromium wrote no screenshot at " + png);
        }
    }

    private String run(String url, Duration budget, String... extra) throws IOException, InterruptedException {
        int run = runs.getAndIncrement();
        Path profile = Files.createDirectories(scratch.resolve("profile-" + run));
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=" + budget.toMillis()));
        command.addAll(trust);
        command.addAll(List.of(extra));
        command.add(url);
        Path stdout = scratch.resolve("chromium-" + run + ".out");
        Path stderr = scratch.resolve("chromium-" + run + ".err");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("chromium did not finish within " + RUN_LIMIT.toSeconds() + " s on " + url);
        }
        if (process.exitValue() != 0) {
            throw new IOException("chromium exited " + process.exitValue() + " on " + url + ": "
                    + new String(Files.readAllBytes(stderr), StandardCharsets.UTF_8));
        }
        return new String(Files.readAllBytes(stdout), StandardCharsets.UTF_8);
    }
}
