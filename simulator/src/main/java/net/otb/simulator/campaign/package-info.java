/** The randomized fault campaign: a seeded schedule of order-system calls and faults over a real server, store and agents, and the checker of DESIGN §9's invariants. */
package net.otb.simulator.campaign;
