/** A lab: a provisioning server (embedded or in a child JVM) with its PKI, and the provisioning of simulated boxes on it. */
package net.otb.simulator.lab;
