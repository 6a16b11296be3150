/** Durable file replacement (write a temporary file, fsync, rename, fsync the folder), used by the PKI and by the agent's state. */
package net.otb.protocol.files;
