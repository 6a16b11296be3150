/** End-to-end shaping: a real agent with the Linux tc backend, driven by a real provisioning server, measured with iperf3. */
package net.otb.simulator.linux;
