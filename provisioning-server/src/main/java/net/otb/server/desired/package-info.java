/** The desired-state engine: desired profiles with monotonic generations, per-box push tasks, the audit log, and the agent-side rules (hello, reconcile, applied, renew). */
package net.otb.server.desired;
