/** Fleets of real agents over simulated hardware in one JVM, and the TCP proxy that cuts their links. */
package net.otb.simulator.fleet;
