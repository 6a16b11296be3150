package net.otb.protocol;

/**
 * The shaping a box must apply for its service: what the server desires and what the agent reports as
 * applied. Generations grow monotonically per service; the service IP belongs to the service.
 *
 * @param generation monotonic per service, starting at 1
 * @param serviceName the service the profile belongs to
 * @param offer the catalog offer, e.g. {@code business.v1}
 * @param downKbps download rate in kbit/s
 * @param upKbps upload rate in kbit/s
 * @param serviceIp the service's public IP (IPv4 or IPv6 literal, canonical form)
 */
public record BandwidthProfile(long generation, String serviceName, String offer, long downKbps, long upKbps,
                               String serviceIp) {

    /** Ten times the fastest box: anything above is a typo, not an offer. */
    public static final long MAX_KBPS = 100_000_000L;

    public BandwidthProfile {
        Checks.positive(generation, "generation");
        Checks.serviceName(serviceName, "serviceName");
        Checks.token(offer, "offer");
        Checks.positive(downKbps, "downKbps");
        Checks.positive(upKbps, "upKbps");
        if (downKbps > MAX_KBPS || upKbps > MAX_KBPS) {
            throw new IllegalArgumentException("downKbps and upKbps must be at most " + MAX_KBPS);
        }
        serviceIp = IpAddresses.canonical(serviceIp);
    }

    /** Whether both profiles shape the same way (generation aside). */
    public boolean sameShapingAs(BandwidthProfile other) {
        return other != null && downKbps == other.downKbps && upKbps == other.upKbps
                && serviceIp.equals(other.serviceIp) && offer.equals(other.offer)
                && serviceName.equals(other.serviceName);
    }
}
