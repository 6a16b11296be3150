package net.otb.server.cluster;

/**
 * How this instance shows itself to the others on the same database.
 *
 * @param instanceId the name of this instance in the {@code instances} table and the boxes' ownership rows; null
 *        for the default, the host name and the bound agent port ({@code host:4443})
 * @param leaseSeconds how long the instance counts as alive after its last heartbeat (renewed every third of
 *        it); past it, another instance fences its boxes and makes their pushes due again
 */
public record ClusterConfig(String instanceId, int leaseSeconds) {

    public ClusterConfig {
        if (instanceId != null && !instanceId.matches("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")) {
            throw new IllegalArgumentException("instanceId must be 1-128 letters, digits or ._:@-, got " + instanceId);
        }
        if (leaseSeconds < 3 || leaseSeconds > 3_600) {
            throw new IllegalArgumentException("leaseSeconds must be between 3 and 3600, got " + leaseSeconds);
        }
    }

    /** The default id and a 15-second lease. */
    public static ClusterConfig defaults() {
        return new ClusterConfig(null, 15);
    }

    /** The id of this instance: the configured one, else {@code host:agentPort}. */
    public String resolveId(String hostName, int agentPort) {
        return instanceId != null ? instanceId : hostName + ":" + agentPort;
    }
}
