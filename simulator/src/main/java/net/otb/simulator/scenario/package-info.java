/** Failure scenarios played on an embedded server and a fleet behind a link cutter, each ending with a verdict. */
package net.otb.simulator.scenario;
