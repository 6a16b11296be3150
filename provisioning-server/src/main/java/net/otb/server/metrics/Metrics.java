package net.otb.server.metrics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The server's metrics, lock-free to update from any thread, rendered in the Prometheus text exposition
 * format (version 0.0.4) at {@code /metrics}. Other modules add their own with {@link #counter} and
 * {@link #gauge}.
 */
public final class Metrics {

    /** Upper bounds, in seconds, of the push → applied latency buckets. */
    public static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60};

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private final Map<String, Family> families = new ConcurrentSkipListMap<>();

    private final Counter handshakes;
    private final Counter hellos;
    private final Counter pushes;
    private final Counter acks;
    private final Counter refusedConnections;
    private final Counter httpRequests;
    private final Histogram pushToApplied;

    public Metrics() {
        handshakes = counter("otb_tls_handshakes_total", "TLS handshakes on the agent port, by result");
        hellos = counter("otb_hellos_total", "hello messages, by result");
        pushes = counter("otb_pushes_total", "messages pushed to boxes, by kind (profile, decommission)");
        acks = counter("otb_acks_total", "applied reports from boxes, by status");
        refusedConnections = counter("otb_connections_refused_total",
                "agent connections answered retryAfter, by reason (rate, cap)");
        httpRequests = counter("otb_http_requests_total", "HTTP requests, by method, route and status");
        pushToApplied = new Histogram("otb_push_applied_seconds",
                "time from a profile push to the box's applied report", LATENCY_BUCKETS);
        families.put(pushToApplied.name, pushToApplied);
        gauge("otb_jvm_heap_used_bytes", "heap in use now", () -> ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        gauge("otb_jvm_heap_after_gc_bytes", "heap in use after the last collection of each heap pool, summed",
                Metrics::heapAfterGc);
    }

    /** A counter with optional labels; registering the same name twice returns the first. */
    public Counter counter(String name, String help) {
        checkName(name);
        return (Counter) families.computeIfAbsent(name, n -> new Counter(n, help));
    }

    /** A gauge read when the metrics are rendered. */
    public void gauge(String name, String help, LongSupplier value) {
        checkName(name);
        families.putIfAbsent(name, new Gauge(name, help, value));
    }

    /**
     * A gauge with one series per label set, read when the metrics are rendered: {@code series} gives each label
     * text (e.g. {@code rollout="3",state="applied"}) its value.
     */
    public void gauges(String name, String help, java.util.function.Supplier<Map<String, Long>> series) {
        checkName(name);
        families.putIfAbsent(name, new LabeledGauge(name, help, series));
    }

    public void handshake(boolean ok) {
        handshakes.inc(ok ? "result=\"ok\"" : "result=\"failed\"");
    }

    public void hello(String result) {
        hellos.inc("result=\"" + result + "\"");
    }

    public void push(String kind) {
        pushes.inc("kind=\"" + kind + "\"");
    }

    public void ack(String status) {
        acks.inc("status=\"" + status + "\"");
    }

    public void refusedConnection(String reason) {
        refusedConnections.inc("reason=\"" + reason + "\"");
    }

    public void pushApplied(double seconds) {
        pushToApplied.observe(seconds);
    }

    public void httpRequest(String method, String route, int status) {
        httpRequests.inc("method=\"" + method + "\",route=\"" + escape(route) + "\",status=\"" + status + "\"");
    }

    /** The total of a counter over all its labels, for tests and benchmarks. */
    public long total(String name) {
        Family family = families.get(name);
        return family instanceof Counter c ? c.total() : 0;
    }

    /** Every metric in the Prometheus text format. */
    public String render() {
        StringBuilder out = new StringBuilder(4096);
        for (Family family : families.values()) {
            family.render(out);
        }
        return out.toString();
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
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a Prometheus metric name: " + name);
        }
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private abstract static class Family {
        final String name;
        final String help;

        Family(String name, String help) {
            this.name = name;
            this.help = help;
        }

        abstract void render(StringBuilder out);

        void header(StringBuilder out, String type) {
            out.append("# HELP ").append(name).append(' ').append(help).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        }
    }

    /** A monotonic counter, one series per label set (rendered text such as {@code status="applied"}). */
    public static final class Counter extends Family {
        private final Map<String, LongAdder> series = new ConcurrentHashMap<>();

        Counter(String name, String help) {
            super(name, help);
        }

        public void inc() {
            inc("");
        }

        public void inc(String labels) {
            series.computeIfAbsent(labels, l -> new LongAdder()).increment();
        }

        /** Increments the series of one label, e.g. {@code inc("outcome", "applied")}. */
        public void inc(String label, String value) {
            inc(label + "=\"" + escape(value) + "\"");
        }

        long total() {
            return series.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        void render(StringBuilder out) {
            header(out, "counter");
            if (series.isEmpty()) {
                out.append(name).append(" 0\n");
            }
            new TreeMap<>(series).forEach((labels, value) -> {
                out.append(name);
                if (!labels.isEmpty()) {
                    out.append('{').append(labels).append('}');
                }
                out.append(' ').append(value.sum()).append('\n');
            });
        }
    }

    private static final class Gauge extends Family {
        private final LongSupplier value;

        Gauge(String name, String help, LongSupplier value) {
            super(name, help);
            this.value = value;
        }

        @Override
        void render(StringBuilder out) {
            header(out, "gauge");
            out.append(name).append(' ').append(value.getAsLong()).append('\n');
        }
    }

    private static final class LabeledGauge extends Family {
        private final java.util.function.Supplier<Map<String, Long>> series;

        LabeledGauge(String name, String help, java.util.function.Supplier<Map<String, Long>> series) {
            super(name, help);
            this.series = series;
        }

        @Override
        void render(StringBuilder out) {
            header(out, "gauge");
            new TreeMap<>(series.get()).forEach((labels, value) ->
                    out.append(name).append('{').append(labels).append("} ").append(value).append('\n'));
        }
    }

    private static final class Histogram extends Family {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final LongAdder count = new LongAdder();
        private final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Histogram(String name, String help, double[] bounds) {
            super(name, help);
            this.bounds = bounds.clone();
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double value) {
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    counts[i].increment();
                    break;
                }
            }
            count.increment();
            sum.add(value);
        }

        @Override
        void render(StringBuilder out) {
            header(out, "histogram");
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                out.append(name).append("_bucket{le=\"").append(format(bounds[i])).append("\"} ")
                        .append(cumulative).append('\n');
            }
            out.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
            out.append(name).append("_sum ").append(format(sum.sum())).append('\n');
            out.append(name).append("_count ").append(count.sum()).append('\n');
        }

        private static String format(double value) {
            return String.format(Locale.ROOT, "%s", value);
        }
    }
}
