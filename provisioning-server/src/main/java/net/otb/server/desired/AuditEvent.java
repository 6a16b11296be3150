package net.otb.server.desired;

import java.time.Instant;

/**
 * One line of the audit log: who did what, when, to which service and box, at which generation; for a change made
 * through the API, the application key and the consumer key's id that made it ({@code application},
 * {@code consumer}; null otherwise). {@code actor} is proven (the signed credential, a box's certificate, the system);
 * {@code actorLabel} is what an API caller said about itself ({@code X-Actor}), untrusted, or null.
 */
public record AuditEvent(long id, Instant at, String actor, String action, String serviceName, String deviceId,
                         Long generation, String details, String application, Long consumer, String actorLabel) {
}
