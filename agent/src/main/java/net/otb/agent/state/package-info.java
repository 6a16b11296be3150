/** The agent's state across restarts (applied, previous, pending-confirm), stored so that a crash leaves old or new, never a mix. */
package net.otb.agent.state;
