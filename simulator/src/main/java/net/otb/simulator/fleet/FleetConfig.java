package net.otb.simulator.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.otb.agent.AgentSettings;
import net.otb.protocol.tls.TlsProvider;
import net.otb.simulator.hardware.BoxModel;

/**
 * How to build a fleet.
 *
 * @param devices how many boxes
 * @param firstIndex the number in the first box's serial ({@code OTB3-000001}); fleets that share a server use
 *        disjoint ranges
 * @param models the models, assigned round-robin by index
 * @param tlsProvider the agents' TLS engine ({@code OPENSSL} keeps a 10,000-box load generator off the critical path)
 * @param settings the agents' timing knobs
 * @param stateRoot where each box keeps its {@code state.json} in a folder of its own (tmpfs recommended),
 *        or null to keep the states in memory
 * @param maxConnecting at most this many boxes handshake at once while the fleet ramps up
 * @param firmware the firmware every box announces
 */
public record FleetConfig(int devices, int firstIndex, List<BoxModel> models, TlsProvider tlsProvider,
                          AgentSettings settings, Path stateRoot, int maxConnecting, String firmware) {

    public FleetConfig {
        if (devices < 1 || devices > 1_000_000) {
            throw new IllegalArgumentException("devices must be between 1 and 1,000,000, got " + devices);
        }
        if (firstIndex < 0 || (long) firstIndex + devices > 1_000_000L) {
            throw new IllegalArgumentException("serial numbers run from 0 to 999999; firstIndex " + firstIndex
                    + " leaves no room for " + devices + " boxes");
        }
        if (models == null || models.isEmpty()) {
            throw new IllegalArgumentException("at least one box model is needed");
        }
        models = List.copyOf(models);
        if (tlsProvider == null || settings == null) {
            throw new IllegalArgumentException("tlsProvider and settings are required");
        }
        if (maxConnecting < 1) {
            throw new IllegalArgumentException("maxConnecting must be at least 1, got " + maxConnecting);
        }
        if (firmware == null || firmware.isBlank()) {
            throw new IllegalArgumentException("firmware is required");
        }
    }

    /**
     * A fleet of {@code devices} boxes of every model, agents reconnecting fast (backoff from 200 ms, capped at
     * 5 s, as a lab wants), states in memory, 256 handshakes in flight.
     */
    public static FleetConfig of(int devices, TlsProvider provider) {
        AgentSettings settings = AgentSettings.defaults()
                .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5))
                .withHealthyAfter(Duration.ofSeconds(2));
        return new FleetConfig(devices, 1, List.of(BoxModel.V2B, BoxModel.V2C, BoxModel.V3), provider, settings, null,
                256, "sim-1.0");
    }

    public FleetConfig withModels(List<BoxModel> value) {
        return new FleetConfig(devices, firstIndex, value, tlsProvider, settings, stateRoot, maxConnecting, firmware);
    }

    public FleetConfig withFirstIndex(int value) {
        return new FleetConfig(devices, value, models, tlsProvider, settings, stateRoot, maxConnecting, firmware);
    }

    public FleetConfig withSettings(AgentSettings value) {
        return new FleetConfig(devices, firstIndex, models, tlsProvider, value, stateRoot, maxConnecting, firmware);
    }

    public FleetConfig withStateRoot(Path value) {
        return new FleetConfig(devices, firstIndex, models, tlsProvider, settings, value, maxConnecting, firmware);
    }

    public FleetConfig withMaxConnecting(int value) {
        return new FleetConfig(devices, firstIndex, models, tlsProvider, settings, stateRoot, value, firmware);
    }

    /** The model of the box at {@code offset} in the fleet. */
    public BoxModel modelAt(int offset) {
        return models.get(offset % models.size());
    }

    /** The serial of the box at {@code offset}: the model's prefix and a six-digit number, e.g. {@code OTB3-000042}. */
    public String serialAt(int offset) {
        return serial(modelAt(offset), firstIndex + offset);
    }

    public static String serial(BoxModel model, int number) {
        return String.format("%s-%06d", model.serialPrefix(), number);
    }
}
