/** Tests that watch the embedded store force its commits to the disk (strace on a child server). */
package net.otb.server.store.durable;
