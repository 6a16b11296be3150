/** Test fixtures shared through the protocol test-jar: a throwaway PKI, TLS peers on loopback, frame builders. */
package net.otb.protocol.testing;
