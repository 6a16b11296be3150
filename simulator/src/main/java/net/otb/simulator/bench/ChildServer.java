package net.otb.simulator.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.otb.agent.ServerAddress;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.pki.PkiException;
import net.otb.simulator.fleet.CredentialIssuer;
import net.otb.server.auth.ApiCredential;
import net.otb.simulator.fleet.ApiAccess;
import net.otb.simulator.lab.ServerHandle;

/**
 * The provisioning server in a child JVM ({@link BenchServerCommand}), so that the bench measures the server's
 * own heap and CPU time, and can crash it for real ({@code destroyForcibly}). Its log goes to a file.
 */
public final class ChildServer implements ServerHandle {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ChildServer.class);


    private final Path data;
    private final String tls;
    private final List<String> jvmOptions;
    private final Path log;
    private final List<String> serverOptions;
    private Process process;
    private BufferedReader replies;
    private BufferedWriter commands;
    private ServerAddress agentAddress;
    private URI httpBase;
    private String providerName;
    private DevPki pki;
    private ApiAccess apiAccess;

    @Override
    public ApiAccess apiAccess() {
        return apiAccess;
    }

    public ChildServer(Path data, String tls, List<String> jvmOptions, Path log) {
        this(data, tls, jvmOptions, List.of(), log);
    }

    /** @param serverOptions more options of {@link BenchServerCommand}, e.g. {@code --jdbc-url=…}, {@code --timings=…} */
    public ChildServer(Path data, String tls, List<String> jvmOptions, List<String> serverOptions, Path log) {
        this.data = data;
        this.tls = tls;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.serverOptions = List.copyOf(serverOptions);
        this.log = log;
    }

    /**
     * Spawns the server and waits for it to listen; later starts reuse the first start's ports.
     *
     * @throws IOException when it cannot be spawned or dies before it is ready
     */
    @Override
    public synchronized void start() throws IOException, PkiException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        // the bench server's own lines (each bulk batch's time) are the figures behind the bulk summary
        command.add("-Dorg.slf4j.simpleLogger.log." + BenchServerCommand.class.getName() + "=info");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("net.otb.simulator.SimulatorMain");
        command.add("bench-server");
        command.add("--data=" + data);
        command.add("--tls=" + tls);
        command.addAll(serverOptions);
        if (agentAddress != null) {
            command.add("--agent-port=" + agentAddress.port());
            command.add("--http-port=" + httpBase.getPort());
        }
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        String ready = replies.readLine();
        // JVM options may print first (JFR's start-up lines go to stdout whatever -Xlog says): pass them on
        for (int skipped = 0; ready != null && !ready.startsWith("READY ") && ready.startsWith("[") && skipped < 20;
                skipped++) {
            LOG.info("server JVM: {}", ready);
            ready = replies.readLine();
        }
        if (ready == null || !ready.startsWith("READY ")) {
            process.destroyForcibly();
            throw new IOException("the server process did not start (" + ready + "); see " + log);
        }
        String[] words = ready.split(" ");
        agentAddress = new ServerAddress("127.0.0.1", Integer.parseInt(words[1]));
        httpBase = URI.create("https://127.0.0.1:" + words[2] + "/");
        providerName = words[3].replace('_', ' ');
        if (pki == null) {
            pki = DevPki.open(data.resolve("pki"), Clock.systemUTC(), new SecureRandom());
        }
        if (apiAccess == null) {
            apiAccess = ApiAccess.of(httpBase, List.of(pki.caCertificate()),
                    ApiCredential.read(data.resolve(BenchServerCommand.CREDENTIALS)), Clock.systemUTC());
        }
    }

    /**
     * Sends one command and returns the server's answer line.
     *
     * @throws IOException when the process is gone or answers an error
     */
    public synchronized String send(String command) throws IOException {
        commands.write(command);
        commands.newLine();
        commands.flush();
        String reply = replies.readLine();
        if (reply == null || reply.startsWith("ERROR")) {
            throw new IOException("server process: '" + command + "' → " + reply + "; see " + log);
        }
        return reply;
    }

    /** The server's heap in use after a full GC. */
    public long heapAfterGc() throws IOException {
        return Long.parseLong(send("heap").substring("HEAP ".length()));
    }

    /** The server process's CPU time so far. */
    public long cpuNanos() throws IOException {
        return Long.parseLong(send("cpu").substring("CPU ".length()));
    }

    /** How many boxes' sessions this instance holds. */
    public int sessions() throws IOException {
        return Integer.parseInt(send("sessions").substring("SESSIONS ".length()).trim());
    }

    /** Those of {@code serials} whose session this instance holds. */
    public java.util.Set<String> holding(List<String> serials) throws IOException {
        java.util.Set<String> held = new java.util.HashSet<>();
        // a few hundred at a time: one line each way
        for (int from = 0; from < serials.size(); from += 500) {
            String reply = send("holds " + String.join(",", serials.subList(from, Math.min(serials.size(), from + 500))))
                    .substring("HOLDS".length()).trim();
            if (!reply.isEmpty()) {
                held.addAll(List.of(reply.split(",")));
            }
        }
        return held;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public synchronized void stop(boolean crash) throws InterruptedException {
        if (process == null) {
            return;
        }
        if (crash) {
            process.destroyForcibly();
        } else {
            try {
                send("quit");
            } catch (IOException e) {
                process.destroy();
            }
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    @Override
    public ServerAddress agentAddress() {
        return agentAddress;
    }

    @Override
    public URI httpBase() {
        return httpBase;
    }

    @Override
    public CredentialIssuer issuer() {
        return pki::deviceCredentialsInMemory;
    }

    @Override
    public List<X509Certificate> anchors() {
        return List.of(pki.caCertificate());
    }

    @Override
    public String tlsProviderName() {
        return providerName;
    }

    @Override
    public void close() {
        try {
            stop(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
