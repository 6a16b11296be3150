package net.otb.simulator.campaign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.Pem;
import net.otb.simulator.hardware.BoxModel;

/**
 * A box whose agent is the real agent program ({@code net.otb.agent.AgentMain}, what {@code otb-agent.jar}
 * runs) in a JVM of its own, on simulated hardware ({@code backend=simulated}), so that a campaign can SIGKILL
 * it at any instant and start it again on the same folder: its key, certificate, {@code state.json} and
 * applied history survive as a box's flash would.
 */
final class ChildAgent {

    private final String serial;
    private final Path folder;
    private final Path config;
    private Process process;
    private int starts;

    /**
     * Writes the box's folder: key, certificate chain, CA, state folder and the agent's config.
     *
     * @param serverPort where the agent connects (its link cutter on loopback)
     */
    ChildAgent(String serial, BoxModel model, Credentials credentials, X509Certificate ca, int serverPort, Path folder)
            throws IOException {
        this.serial = serial;
        this.folder = folder;
        Files.createDirectories(folder.resolve("state"));
        Files.writeString(folder.resolve("agent.key"), Pem.write(credentials.key()), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("agent.crt"), Pem.writeChain(credentials.chain()), StandardCharsets.UTF_8);
        Files.writeString(folder.resolve("ca.crt"), Pem.write(ca), StandardCharsets.UTF_8);
        this.config = folder.resolve("agent.properties");
        Files.writeString(config, String.join("\n",
                "servers=127.0.0.1:" + serverPort,
                "tls.key=agent.key",
                "tls.certificate=agent.crt",
                "tls.ca=ca.crt",
                "tls.provider=jdk",
                "state.dir=state",
                "backend=simulated",
                "backend.model=" + model.wireName(),
                "backend.serial=" + serial,
                "backend.history=" + historyFile(),
                "backend.stateDir=" + stateDirectory(),
                "backoff.initial.millis=200",
                "backoff.max.seconds=2",
                "backoff.healthy.seconds=2",
                ""), StandardCharsets.UTF_8);
    }

    String serial() {
        return serial;
    }

    Path stateDirectory() {
        return folder.resolve("state").toAbsolutePath();
    }

    Path historyFile() {
        return folder.resolve("applied.log").toAbsolutePath();
    }

    /** Starts the agent process (its log appended to {@code agent.log}). */
    synchronized void start() throws IOException {
        if (running()) {
            return;
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-cp", System.getProperty("java.class.path"), "net.otb.agent.AgentMain", "--config", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(folder.resolve("agent.log").toFile()))
                .start();
        starts++;
    }

    /** SIGKILL: no goodbye, nothing saved beyond what the agent already wrote. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM: the agent's shutdown hook closes its session. */
    synchronized void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The agent process's id (to send it signals); -1 before its first start. */
    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    synchronized boolean running() {
        return process != null && process.isAlive();
    }

    int starts() {
        return starts;
    }
}
