/** Benchmarks of the agent that print figures (run by hand, never timed in unit tests). */
package net.otb.agent.bench;
