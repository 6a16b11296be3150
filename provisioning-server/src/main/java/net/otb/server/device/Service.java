package net.otb.server.device;

import java.time.Instant;

/**
 * An OverTheBox service. Its IP belongs to it: no path changes it.
 *
 * @param offer the offer of the current desired profile
 * @param deviceId the bound box, or null
 * @param desiredGeneration the generation of the current desired profile (1 at creation)
 */
public record Service(String name, String account, String offer, ServiceStatus status, String serviceIp,
                      String deviceId, long desiredGeneration, Instant createdAt, Instant updatedAt) {
}
