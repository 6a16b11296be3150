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
 * run gets a fresh profile, and the flags that keep the browser off the network and usable as root.
 */
final class Chromium {

    private static final Duration RUN_LIMIT = Duration.ofSeconds(90);

    private final Path binary;
    private final Path scratch;
    private int runs;

    private Chromium(Path binary, Path scratch) {
        this.binary = binary;
        this.scratch = scratch;
    }

    /** The browser, if installed ({@code OTB_CHROMIUM} names another binary). */
    static Optional<Chromium> find(Path scratch) {
        String named = System.getenv("OTB_CHROMIUM");
        for (String candidate : named != null ? List.of(named) : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return Optional.of(new Chromium(path, scratch));
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
        Path profile = Files.createDirectories(scratch.resolve("profile-" + runs++));
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=" + budget.toMillis()));
        command.addAll(List.of(extra));
        command.add(url);
        Path stdout = scratch.resolve("chromium-" + runs + ".out");
        Path stderr = scratch.resolve("chromium-" + runs + ".err");
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
