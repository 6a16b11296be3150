package net.otb.protocol;

/**
 * A message of the agent protocol (docs/architecture.md#agent-protocol). On the wire each message is one JSON object whose
 * {@code type} field names the record; unknown fields are ignored so that newer peers can add them.
 * {@link net.otb.protocol.codec.MessageMapper} maps each permitted record to and from JSON.
 */
public sealed interface Message
        permits Hello, Welcome, ProfilePush, Applied, Confirm, Ping, Pong, Decommission, Renew,
                CertificateChain, RetryAfter, ErrorMessage {

    /** The value of the {@code type} field on the wire. */
    String type();
}
