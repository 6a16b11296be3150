/** Staged rollouts: an offer change of many boxes in waves, with abort rules, driven from the store under a lease. */
package net.otb.server.rollout;
