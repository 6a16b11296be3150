/** TLS contexts for mutual TLS between boxes and the server (BoringSSL when available, the JDK otherwise), and reading a peer's identity. */
package net.otb.protocol.tls;
