package net.otb.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A message of the agent protocol (DESIGN §3). On the wire each message is one JSON object whose
 * {@code type} field names the record; unknown fields are ignored so that newer peers can add them.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Hello.class, name = Hello.TYPE),
    @JsonSubTypes.Type(value = Welcome.class, name = Welcome.TYPE),
    @JsonSubTypes.Type(value = ProfilePush.class, name = ProfilePush.TYPE),
    @JsonSubTypes.Type(value = Applied.class, name = Applied.TYPE),
    @JsonSubTypes.Type(value = Confirm.class, name = Confirm.TYPE),
    @JsonSubTypes.Type(value = Ping.class, name = Ping.TYPE),
    @JsonSubTypes.Type(value = Pong.class, name = Pong.TYPE),
    @JsonSubTypes.Type(value = Decommission.class, name = Decommission.TYPE),
    @JsonSubTypes.Type(value = Renew.class, name = Renew.TYPE),
    @JsonSubTypes.Type(value = CertificateChain.class, name = CertificateChain.TYPE),
    @JsonSubTypes.Type(value = RetryAfter.class, name = RetryAfter.TYPE),
    @JsonSubTypes.Type(value = ErrorMessage.class, name = ErrorMessage.TYPE),
})
public sealed interface Message
        permits Hello, Welcome, ProfilePush, Applied, Confirm, Ping, Pong, Decommission, Renew,
                CertificateChain, RetryAfter, ErrorMessage {

    /** The value of the {@code type} field on the wire. */
    String type();
}
