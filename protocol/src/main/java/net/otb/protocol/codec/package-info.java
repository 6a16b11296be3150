/** Netty codecs of the agent protocol: length-prefixed frames of UTF-8 JSON, and the one place that ends a session on a violation. */
package net.otb.protocol.codec;
