package net.otb.agent.backend;

import java.util.Map;

/**
 * The {@code memory} backend: options {@code model} (default {@code v3}) and {@code firmware}
 * (default {@code memory}).
 */
public final class MemoryBackendFactory implements DeviceBackendFactory {

    public static final String NAME = "memory";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeviceBackend create(Map<String, String> options) {
        String model = options.getOrDefault("model", "v3");
        if (!model.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("backend.model: must be 1-64 letters, digits, '.', '_' or '-', got '"
                    + model + "'");
        }
        String firmware = options.getOrDefault("firmware", "memory");
        if (firmware.isBlank() || firmware.length() > 64) {
            throw new IllegalArgumentException("backend.firmware: must be 1-64 characters");
        }
        return new MemoryBackend(model, firmware);
    }
}
