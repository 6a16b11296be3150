package net.otb.protocol;

import java.util.List;
import java.util.Objects;

/**
 * Agent → server, first message of a session.
 *
 * @param protocols protocol versions the agent speaks
 * @param deviceId the box serial; must equal the certificate's CN
 * @param model {@code v2b}, {@code v2c} or {@code v3}
 * @param applied the profile in force on the box, or {@code null}
 * @param capabilities free-form capability names, e.g. {@code shaping.htb}
 */
public record Hello(List<Integer> protocols, String deviceId, String model, String firmware, String agentVersion,
                    BandwidthProfile applied, List<String> capabilities) implements Message {

    public static final String TYPE = "hello";

    public Hello {
        if (protocols == null || protocols.isEmpty()) {
            throw new IllegalArgumentException("protocols is required");
        }
        // List.of(...).contains(null) throws, so look for nulls without asking the list
        if (protocols.size() > 16 || protocols.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("protocols must be at most 16 version numbers");
        }
        protocols = List.copyOf(protocols);
        Checks.deviceId(deviceId, "deviceId");
        Checks.token(model, "model");
        Checks.notBlank(firmware, "firmware", 64);
        Checks.notBlank(agentVersion, "agentVersion", 64);
        if (capabilities == null) {
            capabilities = List.of();
        }
        if (capabilities.size() > 64) {
            throw new IllegalArgumentException("capabilities must list at most 64 names");
        }
        capabilities.forEach(c -> Checks.notBlank(c, "capabilities[]", 64));
        capabilities = List.copyOf(capabilities);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
