package net.otb.agent.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import net.otb.agent.AgentSettings;
import net.otb.agent.ServerAddress;
import net.otb.protocol.tls.TlsProvider;

/**
 * The agent's configuration file: a Java properties file (one {@code key=value} a line, {@code #} comments),
 * because a box's shell scripts and {@code uci} can write it without a JSON tool. Every key is documented in
 * {@code docs/agent.md} and {@code agent/dist/agent.properties}. Unknown keys are refused, so a typo is not
 * silently a default. Relative paths are resolved against the config file's folder.
 *
 * @param backendOptions the {@code backend.*} keys, prefix stripped
 * @param deviceId the box serial, or {@code null} to use the certificate's CN
 */
public record AgentConfig(List<ServerAddress> servers, Path keyFile, Path certificateFile, Path caFile,
                          Path stateDirectory, String backend, Map<String, String> backendOptions,
                          TlsProvider tlsProvider, AgentSettings settings, String deviceId) {

    public static final String SERVERS = "servers";
    public static final String TLS_KEY = "tls.key";
    public static final String TLS_CERTIFICATE = "tls.certificate";
    public static final String TLS_CA = "tls.ca";
    public static final String TLS_PROVIDER = "tls.provider";
    public static final String STATE_DIR = "state.dir";
    public static final String BACKEND = "backend";
    public static final String DEVICE_ID = "device.id";
    public static final String HEARTBEAT_MAX = "heartbeat.max.seconds";
    public static final String BACKOFF_INITIAL = "backoff.initial.millis";
    public static final String BACKOFF_MAX = "backoff.max.seconds";
    public static final String BACKOFF_HEALTHY = "backoff.healthy.seconds";
    public static final String CONFIRM_MAX = "confirm.max.seconds";
    public static final String RENEWAL_WINDOW = "renewal.window.days";
    public static final String HANDSHAKE_TIMEOUT = "handshake.timeout.seconds";
    public static final String CONNECT_TIMEOUT = "connect.timeout.seconds";
    public static final String BACKEND_TIMEOUT = "apply.timeout.seconds";

    private static final Set<String> KEYS = Set.of(SERVERS, TLS_KEY, TLS_CERTIFICATE, TLS_CA, TLS_PROVIDER, STATE_DIR,
            BACKEND, DEVICE_ID, HEARTBEAT_MAX, BACKOFF_INITIAL, BACKOFF_MAX, BACKOFF_HEALTHY, CONFIRM_MAX,
            RENEWAL_WINDOW, HANDSHAKE_TIMEOUT, CONNECT_TIMEOUT,
            BACKEND_TIMEOUT);

    public AgentConfig {
        servers = List.copyOf(servers);
        backendOptions = Map.copyOf(backendOptions);
    }

    /**
     * Reads and checks a config file.
     *
     * @throws ConfigException naming the first field that is missing or wrong
     */
    public static AgentConfig load(Path file) throws ConfigException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException("--config", "no such file " + file);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            values.put(key, properties.getProperty(key).trim());
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(values, base);
    }

    /**
     * Checks config values (keys as in the file); relative paths resolve against {@code base}.
     *
     * @throws ConfigException naming the first field that is missing or wrong
     */
    public static AgentConfig parse(Map<String, String> values, Path base) throws ConfigException {
        Map<String, String> backendOptions = new LinkedHashMap<>();
        for (String key : values.keySet()) {
            if (key.startsWith(BACKEND + ".")) {
                backendOptions.put(key.substring(BACKEND.length() + 1), values.get(key));
            } else if (!KEYS.contains(key)) {
                throw new ConfigException(key, "unknown setting (known: " + String.join(", ", new TreeSet<>(KEYS))
                        + ", backend.*)");
            }
        }
        List<ServerAddress> servers = new ArrayList<>();
        for (String entry : required(values, SERVERS).split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                servers.add(ServerAddress.parse(entry));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(SERVERS, e.getMessage());
            }
        }
        if (servers.isEmpty()) {
            throw new ConfigException(SERVERS, "list at least one host:port");
        }
        Path key = path(values, TLS_KEY, base);
        Path certificate = path(values, TLS_CERTIFICATE, base);
        Path ca = path(values, TLS_CA, base);
        Path state = path(values, STATE_DIR, base);
        String backend = required(values, BACKEND);
        if (!backend.matches("[a-z0-9][a-z0-9-]{0,31}")) {
            throw new ConfigException(BACKEND, "must be a backend name such as memory or linux-tc, got '" + backend + "'");
        }
        TlsProvider provider;
        try {
            provider = TlsProvider.parse(values.getOrDefault(TLS_PROVIDER, "jdk"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(TLS_PROVIDER, e.getMessage());
        }
        String deviceId = values.get(DEVICE_ID);
        if (deviceId != null && !deviceId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new ConfigException(DEVICE_ID, "must be 1-64 letters, digits, '.', '_' or '-', got '" + deviceId + "'");
        }
        if (deviceId != null && deviceId.isEmpty()) {
            deviceId = null;
        }
        AgentSettings defaults = AgentSettings.defaults();
        Duration heartbeat = Duration.ofSeconds(number(values, HEARTBEAT_MAX, defaults.heartbeatCap().toSeconds(), 1, 3_600));
        Duration backoffInitial = Duration.ofMillis(number(values, BACKOFF_INITIAL,
                defaults.backoffInitial().toMillis(), 1, 3_600_000));
        Duration backoffMax = Duration.ofSeconds(number(values, BACKOFF_MAX, defaults.backoffMax().toSeconds(), 1, 86_400));
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new ConfigException(BACKOFF_MAX, "must not be below " + BACKOFF_INITIAL);
        }
        Duration healthy = Duration.ofSeconds(number(values, BACKOFF_HEALTHY, defaults.healthyAfter().toSeconds(), 1, 86_400));
        Duration confirm = Duration.ofSeconds(number(values, CONFIRM_MAX, defaults.confirmCap().toSeconds(), 1, 86_400));
        Duration renewal = Duration.ofDays(number(values, RENEWAL_WINDOW, defaults.renewalWindow().toDays(), 1, 3_650));
        Duration handshake = Duration.ofSeconds(number(values, HANDSHAKE_TIMEOUT,
                defaults.handshakeTimeout().toSeconds(), 1, 600));
        Duration connect = Duration.ofSeconds(number(values, CONNECT_TIMEOUT, defaults.connectTimeout().toSeconds(), 1, 600));
        Duration backendTimeout = Duration.ofSeconds(number(values, BACKEND_TIMEOUT,
                defaults.backendTimeout().toSeconds(), 1, 3_600));
        AgentSettings settings = new AgentSettings(heartbeat, backoffInitial, backoffMax, healthy, confirm, renewal,
                handshake, connect, backendTimeout);
        return new AgentConfig(servers, key, certificate, ca, state, backend, backendOptions, provider, settings,
                deviceId);
    }

    private static String required(Map<String, String> values, String key) throws ConfigException {
        String value = values.get(key);
        if (value == null || value.isEmpty()) {
            throw new ConfigException(key, "is required");
        }
        return value;
    }

    private static Path path(Map<String, String> values, String key, Path base) throws ConfigException {
        String value = required(values, key);
        try {
            Path path = Path.of(value);
            return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(key, "not a valid path: " + value);
        }
    }

    private static long number(Map<String, String> values, String key, long fallback, long min, long max)
            throws ConfigException {
        String value = values.get(key);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a whole number, got '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + parsed);
        }
        return parsed;
    }
}
