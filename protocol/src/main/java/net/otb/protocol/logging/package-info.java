/** Log lines an operator can search, and the escaping that keeps a peer's text from forging one. */
package net.otb.protocol.logging;
