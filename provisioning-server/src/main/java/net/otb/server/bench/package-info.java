/** The server's benchmark: idle mTLS sessions held by a minimal client against a forked server, heap per session and handshakes per server CPU-second. */
package net.otb.server.bench;
