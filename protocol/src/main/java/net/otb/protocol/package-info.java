/** The agent protocol's wire messages, the bandwidth profile and protocol version negotiation. */
package net.otb.protocol;
