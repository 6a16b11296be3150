package net.otb.server.desired;

import java.time.Instant;
import net.otb.protocol.BandwidthProfile;

/** A service's desired profile at one generation, as stored, with who asked for it and when. */
public record DesiredProfile(String serviceName, long generation, String offer, long downKbps, long upKbps,
                             String serviceIp, String actor, Instant createdAt) {

    /** The wire form pushed to the box. */
    public BandwidthProfile toProfile() {
        return new BandwidthProfile(generation, serviceName, offer, downKbps, upKbps, serviceIp);
    }
}
