/** Simulated OverTheBox hardware (v2b, v2c, v3): WAN links, tunnel, shaper, apply latency and injected faults. */
package net.otb.simulator.hardware;
