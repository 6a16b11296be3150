/** The randomized fault campaign: a seeded schedule of order-system calls and faults over a real server, store and agents, and the checker of the invariants of docs/architecture.md#the-store-and-its-invariants. */
package net.otb.simulator.campaign;
