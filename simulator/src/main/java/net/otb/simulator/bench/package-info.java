/** The benchmarks: the load benchmark (a server in a child JVM, a fleet of N boxes, docs/architecture.md#budgets), payment → applied, and the server's session bench. */
package net.otb.simulator.bench;
