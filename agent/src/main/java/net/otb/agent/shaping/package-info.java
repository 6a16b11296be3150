/** The box's shaping as the server asked for it: apply, commit-confirmed rollback, state kept across restarts; transport-free. */
package net.otb.agent.shaping;
