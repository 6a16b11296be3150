/** Mutual TLS between boxes and the server: TLS contexts (BoringSSL when available, the JDK otherwise), the fleet's trust manager, reading a peer's identity, and the handshake benchmark. */
package net.otb.protocol.tls;
