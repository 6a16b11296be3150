package net.otb.simulator.hardware;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceBackendFactory;

/**
 * Lets a stand-alone agent run on simulated hardware: {@code backend=simulated} in the agent's config, with
 * {@code backend.model=v2b|v2c|v3} (default {@code v3}), {@code backend.serial} (shown in the box's details,
 * default {@code simulated}) and {@code backend.firmware} (default {@code sim-1.0}); {@code backend.history=FILE}
 * logs every completed apply to FILE ({@link AppliedHistory}), with {@code backend.stateDir=DIR} (the agent's
 * {@code state.dir}) so that each line carries the generation the agent had confirmed then.
 */
public final class SimulatedBackendFactory implements DeviceBackendFactory {

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public DeviceBackend create(Map<String, String> options) {
        BoxModel model;
        try {
            model = BoxModel.parse(options.getOrDefault("model", "v3"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("backend.model: " + e.getMessage(), e);
        }
        String serial = options.getOrDefault("serial", "simulated");
        String firmware = options.getOrDefault("firmware", "sim-1.0");
        if (firmware.isBlank() || firmware.length() > 64) {
            throw new IllegalArgumentException("backend.firmware: 1 to 64 characters, got '" + firmware + "'");
        }
        SimulatedBox box = SimulatedBox.standalone(serial, model, firmware, Clock.systemUTC());
        String history = options.get("history");
        if (history != null) {
            if (history.isBlank()) {
                throw new IllegalArgumentException("backend.history: a file path, got an empty value");
            }
            String stateDir = options.get("stateDir");
            box.recordAppliesTo(new AppliedHistory(Path.of(history), stateDir == null ? null : Path.of(stateDir),
                    Clock.systemUTC()));
        }
        return box;
    }
}
