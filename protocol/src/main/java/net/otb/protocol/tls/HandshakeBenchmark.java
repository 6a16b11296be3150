package net.otb.protocol.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import net.otb.protocol.pki.CertificateAuthority;
import net.otb.protocol.pki.Credentials;
import net.otb.protocol.pki.KeyPairs;
import net.otb.protocol.pki.RevocationList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Full mutual-TLS handshakes per server CPU-second, for each TLS provider (docs/architecture.md#budgets).
 *
 * <p>A server on 127.0.0.1 with one event-loop thread accepts connections from {@code --connections}
 * concurrent clients (in this JVM, on their own event-loop thread); each client completes a TLS 1.3
 * handshake with a device certificate, closes, and connects again. Nothing is resumed: each client closes as
 * soon as its handshake ends, before the server's session ticket reaches it, and the benchmark proves it by
 * counting the client chains the server's trust manager checked (a resumed handshake checks none). With
 * {@code --resumed} (the default) each provider is then measured resuming: the server seals tickets with the
 * fleet's ticket keys, sends a byte after the handshake, and each client closes once it has read that byte (and
 * the ticket ahead of it), then reconnects with its ticket. The server's CPU time is the CPU time of its event-loop
 * threads (ThreadMXBean), which is where every handshake's crypto and certificate checks run; GC and JIT
 * threads are left out. The result is compared with the crypto bound of one core from
 * {@code openssl speed ecdsap256 ecdhp256}; see docs/benchmarks.md for the formula.
 *
 * <p>Run: {@code mvn -q -pl protocol compile exec:java -Dexec.mainClass=net.otb.protocol.tls.HandshakeBenchmark
 * -Dexec.args="--seconds 10"}
 */
@Command(name = "handshake-benchmark", mixinStandardHelpOptions = true,
        description = "Measures full mTLS 1.3 handshakes per server CPU-second for each TLS provider.")
public final class HandshakeBenchmark implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "10", description = "measured seconds per provider (default ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--warmup", defaultValue = "20",
            description = "unmeasured seconds first, for the JIT and the cache (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--connections", defaultValue = "32", description = "concurrent clients (default ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--devices", defaultValue = "1000",
            description = "distinct device certificates, used in turn; more than the JDK's 750-entry certificate cache,"
                    + " so that the server parses and verifies each one as after a restart (default ${DEFAULT-VALUE})")
    int devices;

    @Option(names = "--providers", split = ",", defaultValue = "openssl,jdk",
            description = "server providers to measure (default ${DEFAULT-VALUE})")
    List<TlsProvider> providers;

    @Option(names = "--client-provider", defaultValue = "AUTO",
            description = "the clients' provider: AUTO (BoringSSL when available: cheapest load), OPENSSL, JDK")
    TlsProvider clientProvider;

    @Option(names = "--verify-cache", split = ",", defaultValue = "off,on",
            description = "server runs without (off: every certificate verified, as after a restart) and with (on: a"
                    + " reconnecting fleet) the trust manager's verified-certificate cache (default ${DEFAULT-VALUE})")
    List<String> verifyCache;

    @Option(names = "--resumed", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "also measure resumed handshakes (TLS 1.3 tickets with the fleet's ticket keys; each box reads"
                    + " its ticket before it closes, and reconnects with it) for each provider (default ${DEFAULT-VALUE})")
    boolean resumed;

    @Option(names = "--openssl", defaultValue = "openssl",
            description = "openssl binary for the crypto bound, or 'none' (default ${DEFAULT-VALUE})")
    String openssl;

    private final PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);

    /** One provider's figures. */
    record Result(String provider, long handshakes, long failures, double wallSeconds, double serverCpuSeconds,
                  String session, long totalHandshakes, long totalCheckedChains, boolean resumption,
                  long windowCheckedChains) {

        boolean noneResumed() {
            return totalCheckedChains >= totalHandshakes;
        }

        /** The share of the window's handshakes that checked no chain, i.e. were resumed. */
        double resumedShare() {
            return handshakes == 0 ? 0 : Math.max(0, handshakes - windowCheckedChains) / (double) handshakes;
        }

        boolean valid() {
            return resumption ? resumedShare() > 0.9 : noneResumed();
        }

        double perCpuSecond() {
            return handshakes / serverCpuSeconds;
        }
    }

    public static void main(String[] args) {
        // The JDK provider's key-exchange groups are JVM-wide on Java 17: P-256 first, as the BoringSSL contexts
        if (System.getProperty("jdk.tls.namedGroups") == null) {
            System.setProperty("jdk.tls.namedGroups", "secp256r1,x25519");
        }
        System.exit(new CommandLine(new HandshakeBenchmark()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        out.printf("machine: %d cores (%s), load average %.2f, Java %s%n", Runtime.getRuntime().availableProcessors(),
                cpuModel(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                System.getProperty("java.version"));
        Optional<OpensslSpeed> rates = opensslSpeed();
        rates.ifPresentOrElse(r -> out.printf(
                        "openssl speed (per user-CPU second of one core): ecdsap256 sign %.0f/s, verify %.0f/s; "
                                + "ecdhp256 %.0f/s%n  bound = 1/(2/sign + 2/verify + 1/ecdh) = %.0f handshakes/s/core"
                                + " (the simpler 1/(1/sign + 1/verify + 2/ecdh) = %.0f)%n"
                                + "  resumed (PSK with ECDHE: key share + ECDH) bound = 1/(1/sign + 1/ecdh) = %.0f/s/core,"
                                + " %.1fx the full bound%n",
                        r.signPerSecond(), r.verifyPerSecond(), r.ecdhPerSecond(), r.handshakesPerCoreSecond(),
                        r.simpleHandshakesPerCoreSecond(), r.resumedHandshakesPerCoreSecond(),
                        r.resumedHandshakesPerCoreSecond() / r.handshakesPerCoreSecond()),
                () -> out.println("openssl speed: not run (no openssl); no bound to compare with"));
        List<Result> results = new ArrayList<>();
        for (TlsProvider provider : providers) {
          Double fullPerCpu = null;
          for (String cache : verifyCache) {
            Result result = run(provider, "on".equals(cache), false);
            results.add(result);
            // resumption is compared with the provider's best full run (the warm one, with the verified-certificate cache)
            fullPerCpu = fullPerCpu == null ? result.perCpuSecond() : Math.max(fullPerCpu, result.perCpuSecond());
            out.printf("%-14s server: %,d full handshakes in %.1f s wall, %.2f server CPU-s -> %,.0f handshakes per"
                            + " server CPU-second%s; %d failed; client chains checked by the server: %,d (%s)%n",
                    result.provider(), result.handshakes(), result.wallSeconds(), result.serverCpuSeconds(),
                    result.perCpuSecond(),
                    rates.map(r -> String.format(", %.0f%% of the bound", 100 * result.perCpuSecond() / r.handshakesPerCoreSecond()))
                            .orElse(""),
                    result.failures(), result.totalCheckedChains(),
                    result.noneResumed() ? "for " + result.totalHandshakes() + " handshakes in all: none resumed"
                            : "for " + result.totalHandshakes() + " handshakes: SOME RESUMED, figures invalid");
            out.printf("               session: %s%n", result.session());
          }
          if (resumed) {
            Result result = run(provider, true, true);
            results.add(result);
            out.printf("%-14s server: %,d resumed handshakes in %.1f s wall, %.2f server CPU-s -> %,.0f per server"
                            + " CPU-second%s; %d failed; %.1f%% of them resumed (no chain checked)%s%n",
                    result.provider(), result.handshakes(), result.wallSeconds(), result.serverCpuSeconds(),
                    result.perCpuSecond(),
                    fullPerCpu == null ? "" : String.format(", %.1fx the best full run (budget >= 4x)",
                            result.perCpuSecond() / fullPerCpu),
                    result.failures(), 100 * result.resumedShare(),
                    result.valid() ? "" : ": TOO FEW RESUMED, figures invalid");
            out.printf("               session: %s%n", result.session());
          }
        }
        return results.stream().allMatch(r -> r.valid() && r.handshakes() > 0) ? 0 : 1;
    }

    private Result run(TlsProvider provider, boolean cache, boolean resumption) throws Exception {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("Benchmark CA", now, Duration.ofDays(2), random);
        KeyPair serverKey = KeyPairs.p256(random);
        Credentials server = new Credentials(serverKey.getPrivate(), List.of(ca.issueServer(serverKey.getPublic(),
                "localhost", List.of("localhost"), List.of("127.0.0.1"), now, Duration.ofDays(1)), ca.certificate()));
        FleetTrustManager serverTrust = FleetTrustManager.of(List.of(ca.certificate()), RevocationList.inMemory(),
                java.time.Clock.systemUTC(), cache ? FleetTrustManager.DEFAULT_VERIFIED_CACHE_SIZE : 0);
        SslContext serverContext = TlsContexts.server(server, serverTrust, provider, resumption
                ? TicketKeys.of(random.generateSeed(32), TicketKeys.DEFAULT_ROTATION, java.time.Clock.systemUTC())
                : null);
        List<SslContext> clientContexts = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            KeyPair key = KeyPairs.p256(random);
            Credentials device = new Credentials(key.getPrivate(), List.of(ca.issueDevice(key.getPublic(),
                    String.format("BENCH-%06d", i), now, Duration.ofDays(1)), ca.certificate()));
            clientContexts.add(TlsContexts.client(device, List.of(ca.certificate()), clientProvider));
        }

        List<Thread> serverThreads = new CopyOnWriteArrayList<>();
        ThreadFactory recording = task -> {
            Thread thread = new Thread(task, "bench-server-" + provider.name().toLowerCase());
            serverThreads.add(thread);
            return thread;
        };
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, recording, NioIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicLong serverHandshakes = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicReference<String> session = new AtomicReference<>("none");
        AtomicBoolean running = new AtomicBoolean(true);
        long[] window;
        try {
            Channel listener = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(serverContext.newHandler(ch.alloc()));
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent done) {
                                        if (done.isSuccess()) {
                                            serverHandshakes.incrementAndGet();
                                            if (resumption) {
                                                // the ticket went out after the handshake; this byte follows it, and
                                                // the box closes once it has read it
                                                ctx.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1}));
                                                return;
                                            }
                                            if ("none".equals(session.get())) {
                                                var s = ctx.pipeline().get(SslHandler.class).engine().getSession();
                                                session.set(s.getProtocol() + " " + s.getCipherSuite() + ", peer "
                                                        + PeerIdentity.of(s).map(PeerIdentity::commonName).orElse("?"));
                                            }
                                        } else {
                                            failures.incrementAndGet();
                                        }
                                        ctx.close();
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            Bootstrap client = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class);
            AtomicLong next = new AtomicLong();
            for (int i = 0; i < connections; i++) {
                connect(client, clientContexts, next, port, running, resumption);
            }

            TimeUnit.SECONDS.sleep(warmup);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpu0 = cpuNanos(threads, serverThreads);
            long checked0 = serverTrust.checkedChains();
            long handshakes0 = serverHandshakes.get();
            long failures0 = failures.get();
            long wall0 = System.nanoTime();
            TimeUnit.SECONDS.sleep(seconds);
            long cpu1 = cpuNanos(threads, serverThreads);
            long checked1 = serverTrust.checkedChains();
            long handshakes1 = serverHandshakes.get();
            long failures1 = failures.get();
            long wall1 = System.nanoTime();
            running.set(false);
            listener.close().sync();
            window = new long[] {handshakes1 - handshakes0, failures1 - failures0, wall1 - wall0, cpu1 - cpu0,
                    checked1 - checked0};
        } finally {
            running.set(false);
            clientGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
            serverGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
        // over the whole run, warm-up included: a handshake whose chain was checked is a full one
        String name = provider.name().toLowerCase() + (resumption ? "+tickets" : cache ? "+cache" : "");
        return new Result(name, window[0], window[1], window[2] / 1e9, window[3] / 1e9,
                session.get(), serverHandshakes.get(), serverTrust.checkedChains(), resumption, window[4]);
    }

    /** One client slot: connect, complete the handshake, close, and again while the benchmark runs. */
    private static void connect(Bootstrap bootstrap, List<SslContext> contexts, AtomicLong next, int port,
                                AtomicBoolean running, boolean resumption) {
        if (!running.get()) {
            return;
        }
        SslContext context = contexts.get((int) (next.getAndIncrement() % contexts.size()));
        bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(context.newHandler(ch.alloc(), "127.0.0.1", port));
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof SslHandshakeCompletionEvent done && (!resumption || !done.isSuccess())) {
                            ctx.close();
                        }
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        // the server's byte: the ticket before it has been read
                        io.netty.util.ReferenceCountUtil.release(msg);
                        ctx.close();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        }).connect("127.0.0.1", port).addListener((ChannelFutureListener) connected -> {
            if (connected.isSuccess()) {
                connected.channel().closeFuture().addListener(closed -> connect(bootstrap, contexts, next, port,
                        running, resumption));
            } else if (running.get()) {
                connected.channel().eventLoop().schedule(() -> connect(bootstrap, contexts, next, port, running,
                        resumption), 10, TimeUnit.MILLISECONDS);
            }
        });
    }

    private static long cpuNanos(ThreadMXBean threads, List<Thread> serverThreads) {
        long total = 0;
        for (Thread thread : serverThreads) {
            long cpu = threads.getThreadCpuTime(thread.getId());
            if (cpu > 0) {
                total += cpu;
            }
        }
        return total;
    }

    private Optional<OpensslSpeed> opensslSpeed() {
        if ("none".equals(openssl)) {
            return Optional.empty();
        }
        try {
            return Optional.of(OpensslSpeed.measure(openssl, 3));
        } catch (java.io.IOException | IllegalArgumentException e) {
            out.println("openssl speed: " + e.getMessage() + "; no bound to compare with");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown CPU");
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return "unknown CPU";
        }
    }
}
