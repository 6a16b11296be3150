package net.otb.agent.backend;

import java.util.List;
import java.util.Map;
import net.otb.protocol.BandwidthProfile;

/**
 * What a backend says of the box.
 *
 * @param model {@code v2b}, {@code v2c} or {@code v3}
 * @param firmware the box firmware version
 * @param capabilities announced in {@code hello}, e.g. {@code shaping.htb}, {@code shaping.ifb}
 * @param downKbps the download rate in force, 0 when unshaped
 * @param upKbps the upload rate in force, 0 when unshaped
 * @param details free-form facts for operators (interface names, nominal capacity…)
 */
public record DeviceDescription(String model, String firmware, List<String> capabilities, long downKbps,
                                long upKbps, Map<String, String> details) {

    public DeviceDescription {
        capabilities = List.copyOf(capabilities);
        details = Map.copyOf(details);
    }

    /** Whether this shaping is the one {@code profile} asks for. */
    public boolean shapes(BandwidthProfile profile) {
        return profile != null && downKbps == profile.downKbps() && upKbps == profile.upKbps();
    }
}
