/** Staged rollouts over a fleet of real agents. */
package net.otb.simulator.rollout;
