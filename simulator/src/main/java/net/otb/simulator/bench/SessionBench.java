package net.otb.simulator.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.protocol.Hello;
import net.otb.protocol.Ping;
import net.otb.protocol.Pong;
import net.otb.protocol.Welcome;
import net.otb.protocol.codec.FrameDecoder;
import net.otb.protocol.codec.MessageDecoder;
import net.otb.protocol.codec.MessageEncoder;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.DevPki;
import net.otb.protocol.tls.TlsContexts;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ServerMain;
import net.otb.server.auth.ApiCredential;
import net.otb.server.auth.ApiSigner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Forks {@link ServerMain} per TLS provider on a fresh data folder, then: (1) opens N idle agent
 * sessions (hello accepted) and reports the server's live heap per session, measured after full GCs
 * through {@code jcmd}; (2) runs M full mTLS handshakes (no resumption: a new client engine without a
 * peer host each time, closed right after the handshake) and reports handshakes per second of server CPU
 * time, read from the server process. The client runs in this JVM; only the server is measured.
 */
@Command(name = "session-bench", mixinStandardHelpOptions = true,
        description = "Heap per idle agent session and full handshakes per server CPU-second, per TLS provider.")
public final class SessionBench implements Callable<Integer> {

    private static final Pattern READY = Pattern.compile(Pattern.quote(ServerMain.READY) + " agentPort=(\\d+) httpPort=(\\d+)");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    @Option(names = "--sessions", defaultValue = "2000", description = "idle sessions to hold (default: ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--handshakes", defaultValue = "3000", description = "full handshakes to time (default: ${DEFAULT-VALUE})")
    int handshakes;

    @Option(names = "--providers", defaultValue = "openssl,jdk", split = ",", description = "server TLS providers (default: ${DEFAULT-VALUE})")
    List<String> providers;

    @Option(names = "--server-heap", defaultValue = "512m", description = "the server's -Xmx (default: ${DEFAULT-VALUE})")
    String serverHeap;

    @Option(names = "--histogram", description = "print the classes whose heap grew most with the sessions")
    boolean histogram;

    @Option(names = "--concurrency", defaultValue = "64", description = "connections in flight while opening (default: ${DEFAULT-VALUE})")
    int concurrency;

    // per run: HTTPS trusting the run's dev CA, signed with the operator credential made for the run
    private HttpClient http;
    private ApiSigner signer;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SessionBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> lines = new ArrayList<>();
        for (String provider : providers) {
            lines.add(run(TlsProvider.parse(provider)));
        }
        System.out.println();
        System.out.println("== server session benchmark (" + Runtime.getRuntime().availableProcessors() + " CPUs, server -Xmx"
                + serverHeap + ") ==");
        lines.forEach(System.out::println);
        return 0;
    }

    private String run(TlsProvider provider) throws Exception {
        Path dir = Files.createTempDirectory("otb-session-bench");
        Path operator = dir.resolve("operator.json");
        if (ServerMain.run("create-credential", "--data-dir", dir.toString(), "--role", "operator", "--output",
                operator.toString()) != 0) {
            throw new IOException("cannot create the bench's operator credential in " + dir);
        }
        Process server = fork(dir, provider);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<Channel> held = new ArrayList<>();
        try {
            int[] ports = awaitReady(server);
            int agentPort = ports[0];
            int httpPort = ports[1];
            DevPki pki = DevPki.open(dir.resolve("pki"), Clock.systemUTC(), new SecureRandom());
            List<X509Certificate> anchors = List.of(pki.caCertificate());
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(ApiSigner.trusting(anchors))
                    .build();
            signer = new ApiSigner(ApiCredential.read(operator), Clock.systemUTC());
            log(provider, "registering " + sessions + " boxes and issuing their certificates");
            List<Credentials> credentials = new ArrayList<>();
            long registerStart = System.nanoTime();
            SecureRandom random = new SecureRandom();
            for (int i = 0; i < sessions; i++) {
                String serial = serial(i);
                post(httpPort, "/1.0/admin/devices", "{\"serial\":\"" + serial + "\",\"model\":\"v3\"}");
                credentials.add(pki.deviceCredentialsInMemory(serial, random));
            }
            log(provider, String.format(Locale.ROOT, "registered in %.1f s", (System.nanoTime() - registerStart) / 1e9));
            long before = liveHeapKb(server.pid());
            java.util.Map<String, Long> histogramBefore = histogram ? histogram(server.pid()) : java.util.Map.of();
            log(provider, "opening " + sessions + " sessions");
            long start = System.nanoTime();
            Semaphore inFlight = new Semaphore(concurrency);
            CountDownLatch welcomed = new CountDownLatch(sessions);
            AtomicInteger failed = new AtomicInteger();
            List<SslContext> contexts = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                contexts.add(TlsContexts.client(credentials.get(i), anchors, TlsProvider.AUTO));
            }
            log(provider, String.format(Locale.ROOT, "client contexts made in %.1f s", (System.nanoTime() - start) / 1e9));
            start = System.nanoTime();
            for (int i = 0; i < sessions; i++) {
                inFlight.acquire();
                SslContext context = contexts.get(i);
                String serial = serial(i);
                Channel channel = connect(group, context, agentPort, serial, welcomed, inFlight, failed);
                held.add(channel);
            }
            if (!welcomed.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("not every session was welcomed");
            }
            double openSeconds = (System.nanoTime() - start) / 1e9;
            TimeUnit.SECONDS.sleep(2);
            long after = liveHeapKb(server.pid());
            if (histogram) {
                java.util.Map<String, Long> histogramAfter = histogram(server.pid());
                histogramAfter.entrySet().stream()
                        .map(e -> java.util.Map.entry(e.getKey(), e.getValue() - histogramBefore.getOrDefault(e.getKey(), 0L)))
                        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
                        .forEach(e -> log(provider, String.format(Locale.ROOT, "  %8.0f bytes/session  %s",
                                (double) e.getValue() / sessions, e.getKey())));
            }
            double perSession = (after - before) * 1024.0 / sessions;
            log(provider, String.format(Locale.ROOT, "live heap %d KB → %d KB with %d sessions", before, after, sessions));
            for (Channel channel : held) {
                channel.close();
            }
            held.clear();

            log(provider, "timing " + handshakes + " full handshakes");
            SslContext plain = SslContextBuilder.forClient()
                    .keyManager(credentials.get(0).key(), credentials.get(0).chain().toArray(X509Certificate[]::new))
                    .trustManager(anchors.toArray(X509Certificate[]::new))
                    .sslProvider(TlsProvider.AUTO.resolve())
                    .protocols(TlsContexts.PROTOCOLS)
                    // no peer host is given (so nothing is resumed), hence no host name to verify
                    .endpointIdentificationAlgorithm(null)
                    .build();
            // warm the server's code paths with one certificate, then measure with a distinct one per handshake
            // (the JDK caches a parsed and verified certificate: a repeated one would look cheaper than a fleet)
            handshakes(group, i -> plain, agentPort, Math.min(500, handshakes));
            List<SslContext> distinct = new ArrayList<>();
            for (int i = 0; i < handshakes; i++) {
                Credentials c = i < credentials.size() ? credentials.get(i)
                        : pki.deviceCredentialsInMemory(serial(i), random);
                distinct.add(SslContextBuilder.forClient()
                        .keyManager(c.key(), c.chain().toArray(X509Certificate[]::new))
                        .trustManager(anchors.toArray(X509Certificate[]::new))
                        .sslProvider(TlsProvider.AUTO.resolve())
                        .protocols(TlsContexts.PROTOCOLS)
                        .endpointIdentificationAlgorithm(null)
                        .build());
            }
            Duration cpuBefore = cpu(server);
            long t0 = System.nanoTime();
            int done = handshakes(group, distinct::get, agentPort, handshakes);
            double wall = (System.nanoTime() - t0) / 1e9;
            double serverCpu = (cpu(server).minus(cpuBefore)).toNanos() / 1e9;
            return String.format(Locale.ROOT,
                    "provider=%-8s sessions=%d opened in %.1f s, heap per idle session %.1f KB (budget 16 KB) | "
                            + "%d full handshakes in %.1f s wall, server CPU %.2f s -> %.0f handshakes per server CPU-second%s",
                    provider.name().toLowerCase(Locale.ROOT), sessions, openSeconds, perSession / 1024, done, wall, serverCpu,
                    done / serverCpu, failed.get() > 0 ? " (" + failed.get() + " sessions failed)" : "");
        } finally {
            for (Channel channel : held) {
                channel.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            server.toHandle().destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private Process fork(Path dir, TlsProvider provider) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + serverHeap, "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(),
                "--data-dir", dir.toString(), "--agent-port", "0", "--http-port", "0",
                "--tls-provider", provider.name().toLowerCase(Locale.ROOT), "--heartbeat-seconds", "600",
                "--per-source-rate", "100000", "--per-source-burst", "100000", "--max-sessions", "200000");
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static int[] awaitReady(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            Matcher m = READY.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // the server logs every session: keep the pipe empty
                        }
                    } catch (IOException e) {
                        // the server ended
                    }
                }, "server-output");
                drain.setDaemon(true);
                drain.start();
                return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            }
        }
        throw new IOException("the server exited before it was ready");
    }

    private Channel connect(EventLoopGroup group, SslContext context, int port, String serial, CountDownLatch welcomed,
                            Semaphore inFlight, AtomicInteger failed) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(context.newHandler(ch.alloc(), "127.0.0.1", port))
                                .addLast(new FrameDecoder())
                                .addLast(MessageDecoder.INSTANCE)
                                .addLast(MessageEncoder.INSTANCE)
                                .addLast(new ChannelInboundHandlerAdapter() {
                                    private boolean counted;

                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        ctx.writeAndFlush(new Hello(List.of(1), serial, "v3", "bench", "bench", null, List.of()));
                                    }

                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof Welcome && !counted) {
                                            counted = true;
                                            welcomed.countDown();
                                            inFlight.release();
                                        } else if (msg instanceof Ping ping) {
                                            ctx.writeAndFlush(new Pong(ping.seq()));
                                        }
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        if (!counted) {
                                            counted = true;
                                            failed.incrementAndGet();
                                            welcomed.countDown();
                                            inFlight.release();
                                        }
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                }).connect("127.0.0.1", port).channel();
    }

    /** Opens {@code count} connections, {@link #concurrency} at a time, each closed once its handshake is done. */
    private int handshakes(EventLoopGroup group, java.util.function.IntFunction<SslContext> contexts, int port, int count)
            throws InterruptedException {
        Semaphore inFlight = new Semaphore(concurrency);
        CountDownLatch done = new CountDownLatch(count);
        AtomicInteger ok = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            SslContext context = contexts.apply(i);
            CompletableFuture<Void> finished = new CompletableFuture<>();
            finished.whenComplete((v, e) -> {
                inFlight.release();
                done.countDown();
            });
            new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(context.newHandler(ch.alloc()))
                                    .addLast(new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                            if (evt instanceof SslHandshakeCompletionEvent e) {
                                                if (e.isSuccess()) {
                                                    ok.incrementAndGet();
                                                } else if (firstFailure.compareAndSet(null, e.cause())) {
                                                    System.out.println("handshake failed: " + e.cause());
                                                }
                                                ctx.close();
                                            }
                                        }

                                        @Override
                                        public void channelInactive(ChannelHandlerContext ctx) {
                                            finished.complete(null);
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            ctx.close();
                                        }
                                    });
                        }
                    }).connect("127.0.0.1", port).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            finished.complete(null);
                        }
                    });
        }
        done.await(10, TimeUnit.MINUTES);
        return ok.get();
    }

    private void post(int port, String path, String json) throws IOException, InterruptedException {
        URI uri = URI.create("https://127.0.0.1:" + port + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        signer.sign("POST", uri, json).ifPresent(h -> request.headers(h.asArray()));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IOException(path + ": " + response.statusCode() + " " + response.body());
        }
    }

    /** The server's heap in use right after two full collections, in KB, from {@code jcmd}. */
    private static long liveHeapKb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) {
            throw new IOException("cannot read the heap from jcmd: " + info);
        }
        return Long.parseLong(m.group(1));
    }

    private static java.util.Map<String, Long> histogram(long pid) throws IOException, InterruptedException {
        java.util.Map<String, Long> bytes = new java.util.HashMap<>();
        for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":")) {
                bytes.merge(f[3], Long.parseLong(f[2]), Long::sum);
            }
        }
        return bytes;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(Files.exists(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), command)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(60, TimeUnit.SECONDS);
        return output;
    }

    private static Duration cpu(Process process) {
        return process.toHandle().info().totalCpuDuration().orElseThrow(
                () -> new IllegalStateException("this system does not report a process's CPU time"));
    }

    private static String serial(int i) {
        return String.format(Locale.ROOT, "BENCH-%06d", i);
    }

    private static void log(TlsProvider provider, String message) {
        System.out.println("[" + provider.name().toLowerCase(Locale.ROOT) + "] " + message);
    }
}
