/** The load benchmark: a server in a child JVM, a fleet of N boxes, and the figures of DESIGN §8. */
package net.otb.simulator.bench;
