package net.otb.server.device;

import java.time.Instant;

/**
 * A box as the store knows it.
 *
 * @param id the serial, equal to its certificate's CN
 * @param certSerial the serial (hex) of the certificate it last connected with, or null
 * @param appliedService the service of the profile it last reported applied, or null
 * @param appliedGeneration that profile's generation, or 0
 * @param ownerInstance the instance that holds (or last held) its session, or null
 * @param ownerToken the fencing token of that session: grows at every accepted hello, wherever it lands
 */
public record Device(String id, String model, DeviceState state, String firmware, String agentVersion,
                     String certSerial, Instant registeredAt, Instant firstSeenAt, Instant lastSeenAt,
                     String appliedService, long appliedGeneration, String appliedOffer, Instant appliedAt,
                     String stateDetail, String ownerInstance, long ownerToken) {
}
