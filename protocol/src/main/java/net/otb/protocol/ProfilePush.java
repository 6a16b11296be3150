package net.otb.protocol;

/**
 * Server → agent: apply this profile, then wait for {@link Confirm} at most {@code confirmSeconds}
 * before reverting (commit-confirmed).
 */
public record ProfilePush(long generation, String serviceName, String offer, long downKbps, long upKbps,
                          String serviceIp, int confirmSeconds) implements Message {

    public static final String TYPE = "profile";

    public ProfilePush {
        // the profile record holds the field rules; build it once to check them
        BandwidthProfile checked = new BandwidthProfile(generation, serviceName, offer, downKbps, upKbps, serviceIp);
        serviceIp = checked.serviceIp();
        Checks.range(confirmSeconds, 1, 3_600, "confirmSeconds");
    }

    public static ProfilePush of(BandwidthProfile profile, int confirmSeconds) {
        return new ProfilePush(profile.generation(), profile.serviceName(), profile.offer(), profile.downKbps(),
                profile.upKbps(), profile.serviceIp(), confirmSeconds);
    }

    public BandwidthProfile profile() {
        return new BandwidthProfile(generation, serviceName, offer, downKbps, upKbps, serviceIp);
    }

    @Override
    public String type() {
        return TYPE;
    }
}
