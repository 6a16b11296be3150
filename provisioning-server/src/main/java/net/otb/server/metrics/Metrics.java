package net.otb.server.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The server's metrics, kept by the Prometheus Java client (its registry, counters, histograms, JVM and process
 * metrics and its text exposition, version 0.0.4) and shown at {@code /metrics}. This class is the one door the rest
 * of the server uses: its methods name what happened ({@link #push}, {@link #pushApplied}...), and other modules add
 * their own series with {@link #counter}, {@link #gauge} and {@link #gauges}. The names are listed in
 * docs/operations.md#metrics; the dashboard and the alert rules in {@code provisioning-server/dist/} depend on them.
 */
public final class Metrics {

    /** Upper bounds, in seconds, of the push → applied latency buckets. */
    public static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60};

    /** Upper bounds, in seconds, of the session set-up buckets (connect → hello committed). */
    public static final double[] SETUP_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    /** Every name registered (as given), so that a second registration of a name is a no-op as before. */
    private final Map<String, Object> registered = new ConcurrentHashMap<>();

    private final io.prometheus.metrics.core.metrics.Counter handshakes;
    private final io.prometheus.metrics.core.metrics.Counter hellos;
    private final io.prometheus.metrics.core.metrics.Counter pushes;
    private final io.prometheus.metrics.core.metrics.Counter acks;
    private final io.prometheus.metrics.core.metrics.Counter refusedConnections;
    private final io.prometheus.metrics.core.metrics.Counter httpRequests;
    private final Histogram pushToApplied;
    private final Histogram sessionSetup;

    public Metrics() {
        handshakes = libraryCounter("otb_tls_handshakes_total", "TLS handshakes on the agent port, by result", "result");
        hellos = libraryCounter("otb_hellos_total", "hello messages, by result", "result");
        pushes = libraryCounter("otb_pushes_total", "messages pushed to boxes, by kind (profile, decommission)", "kind");
        acks = libraryCounter("otb_acks_total", "applied reports from boxes, by status", "status");
        refusedConnections = libraryCounter("otb_connections_refused_total",
                "agent connections answered retryAfter or closed at admission, by reason (rate, cap, busy, unverified, certificate)",
                "reason");
        httpRequests = libraryCounter("otb_http_requests_total", "HTTP requests, by method, route and status",
                "method", "route", "status");
        // the series an operator's queries and alerts expect exist from the start, at 0
        List.of("ok", "failed").forEach(v -> handshakes.labelValues(v));
        List.of("accepted", "refused").forEach(v -> hellos.labelValues(v));
        List.of("profile", "decommission").forEach(v -> pushes.labelValues(v));
        List.of("applied", "rejected", "rolledBack").forEach(v -> acks.labelValues(v));
        List.of("rate", "cap", "busy", "unverified", "certificate").forEach(v -> refusedConnections.labelValues(v));
        pushToApplied = histogram("otb_push_applied_seconds",
                "time from a profile push to the box's applied report", LATENCY_BUCKETS);
        sessionSetup = histogram("otb_session_setup_seconds",
                "time from an agent's TCP connect to its hello committed (TLS handshake, hello, reconcile)",
                SETUP_BUCKETS);
        gauge("otb_jvm_heap_used_bytes", "heap in use now", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge("otb_jvm_heap_after_gc_bytes", "heap in use after the last collection of each heap pool, summed",
                Metrics::heapAfterGc);
        // jvm_* and process_*: memory pools, GC, threads, classes, CPU, open files
        JvmMetrics.builder().register(registry);
    }

    /** A counter with optional labels; registering the same name twice returns the first. */
    public Counter counter(String name, String help) {
        checkName(name);
        return (Counter) registered.computeIfAbsent(name, n -> {
            Counter counter = new Counter(n, help);
            registry.register(counter);
            return counter;
        });
    }

    /**
     * A gauge read when the metrics are rendered. A name that ends in {@code _total} is a count kept elsewhere (by
     * the TLS engine, say) and only read here: it is exposed as a counter, as Prometheus's naming rules want.
     */
    public void gauge(String name, String help, LongSupplier value) {
        checkName(name);
        registered.computeIfAbsent(name, n -> {
            if (n.endsWith("_total")) {
                return CounterWithCallback.builder().name(n).help(help)
                        .callback(callback -> callback.call(value.getAsLong())).register(registry);
            }
            return GaugeWithCallback.builder().name(n).help(help)
                    .callback(callback -> callback.call(value.getAsLong())).register(registry);
        });
    }

    /**
     * A gauge with one series per label set, read when the metrics are rendered: {@code series} gives each label
     * text (e.g. {@code rollout="3",state="applied"}) its value.
     */
    public void gauges(String name, String help, Supplier<Map<String, Long>> series) {
        checkName(name);
        registered.computeIfAbsent(name, n -> {
            Collector collector = new Collector() {
                @Override
                public MetricSnapshot collect() {
                    GaugeSnapshot.Builder snapshot = GaugeSnapshot.builder().name(n).help(help);
                    series.get().forEach((labels, value) -> snapshot.dataPoint(
                            GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(LabelText.parse(labels)).value(value).build()));
                    return snapshot.build();
                }

                @Override
                public String getPrometheusName() {
                    return n;
                }
            };
            registry.register(collector);
            return collector;
        });
    }

    public void handshake(boolean ok) {
        handshakes.labelValues(ok ? "ok" : "failed").inc();
    }

    public void hello(String result) {
        hellos.labelValues(result).inc();
    }

    public void push(String kind) {
        pushes.labelValues(kind).inc();
    }

    public void ack(String status) {
        acks.labelValues(status).inc();
    }

    public void refusedConnection(String reason) {
        refusedConnections.labelValues(reason).inc();
    }

    public void pushApplied(double seconds) {
        pushToApplied.observe(seconds);
    }

    /** A session's set-up, from its TCP connect to its hello committed, accepted or refused. */
    public void sessionSetup(double seconds) {
        sessionSetup.observe(seconds);
    }

    public void httpRequest(String method, String route, int status) {
        httpRequests.labelValues(method, route, Integer.toString(status)).inc();
    }

    /** The total of a counter over all its labels, for tests and benchmarks. */
    public long total(String name) {
        String base = name.endsWith("_total") ? name.substring(0, name.length() - "_total".length()) : name;
        long total = 0;
        for (MetricSnapshot snapshot : registry.scrape(base::equals)) {
            if (snapshot instanceof CounterSnapshot counter) {
                for (CounterSnapshot.CounterDataPointSnapshot point : counter.getDataPoints()) {
                    total += (long) point.getValue();
                }
            }
        }
        return total;
    }

    /** Every metric in the Prometheus text format (version 0.0.4). */
    public String render() {
        MetricSnapshots snapshots = registry.scrape();
        ByteArrayOutputStream out = new ByteArrayOutputStream(16_384);
        try {
            PrometheusTextFormatWriter.create().write(out, snapshots);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private io.prometheus.metrics.core.metrics.Counter libraryCounter(String name, String help, String... labels) {
        checkName(name);
        io.prometheus.metrics.core.metrics.Counter counter = io.prometheus.metrics.core.metrics.Counter.builder()
                .name(name).help(help).labelNames(labels).register(registry);
        registered.put(name, counter);
        return counter;
    }

    private Histogram histogram(String name, String help, double[] buckets) {
        checkName(name);
        Histogram histogram = Histogram.builder().name(name).help(help).classicUpperBounds(buckets).classicOnly()
                .register(registry);
        registered.put(name, histogram);
        return histogram;
    }

    private static long heapAfterGc() {
        long total = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                MemoryUsage usage = pool.getCollectionUsage();
                if (usage != null) {
                    total += usage.getUsed();
                }
            }
        }
        return total;
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches() || !PrometheusNaming.isValidMetricName(name)) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
    }

    /**
     * A monotonic counter whose series are named by label text (such as {@code status="applied"}), as other modules
     * use it; each increment is one lock-free add, the text is read into labels when the metrics are rendered.
     */
    public static final class Counter implements Collector {
        private final String name;
        private final String help;
        private final Map<String, LongAdder> series = new ConcurrentHashMap<>();

        Counter(String name, String help) {
            this.name = name.endsWith("_total") ? name.substring(0, name.length() - "_total".length()) : name;
            this.help = help;
        }

        public void inc() {
            inc("");
        }

        /** Increments the series of a label text, e.g. {@code inc("outcome=\"applied\"")}. */
        public void inc(String labels) {
            series.computeIfAbsent(labels, l -> {
                LabelText.parse(l); // a malformed text fails here, at its first use, not at a scrape
                return new LongAdder();
            }).increment();
        }

        /** Increments the series of one label, e.g. {@code inc("outcome", "applied")}. */
        public void inc(String label, String value) {
            inc(label + "=\"" + LabelText.escape(value) + "\"");
        }

        @Override
        public MetricSnapshot collect() {
            CounterSnapshot.Builder snapshot = CounterSnapshot.builder().name(name).help(help);
            if (series.isEmpty()) {
                snapshot.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(0).build());
            }
            series.forEach((labels, value) -> snapshot.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(LabelText.parse(labels)).value(value.sum()).build()));
            return snapshot.build();
        }

        @Override
        public String getPrometheusName() {
            return name;
        }
    }

    /** Label text as this class's callers write it ({@code a="x",b="y \"quoted\""}), read into the client's labels. */
    static final class LabelText {

        private LabelText() {
        }

        static String escape(String value) {
            return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        }

        static Labels parse(String text) {
            if (text.isEmpty()) {
                return Labels.EMPTY;
            }
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            int i = 0;
            while (i < text.length()) {
                int eq = text.indexOf("=\"", i);
                if (eq < 0) {
                    throw new IllegalArgumentException("not label text (name=\"value\",...): " + text);
                }
                names.add(text.substring(i, eq).trim());
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; j < text.length() && text.charAt(j) != '"'; j++) {
                    char c = text.charAt(j);
                    if (c == '\\' && j + 1 < text.length()) {
                        char next = text.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                if (j >= text.length()) {
                    throw new IllegalArgumentException("unterminated label value in " + text);
                }
                values.add(value.toString());
                i = j + 1;
                if (i < text.length()) {
                    if (text.charAt(i) != ',') {
                        throw new IllegalArgumentException("labels must be separated by ',' in " + text);
                    }
                    i++;
                }
            }
            Set<String> unique = Set.copyOf(names);
            if (unique.size() != names.size()) {
                throw new IllegalArgumentException("a label is named twice in " + text);
            }
            return Labels.of(names, values);
        }
    }
}
