package net.otb.protocol.codec;

/**
 * A well-formed frame whose {@code type} this build does not know. Decoded as a value, not an exception,
 * because the peer may be newer: the session answers {@code error{code:"unsupported"}} and carries on.
 */
public record UnknownMessage(String type) {
}
