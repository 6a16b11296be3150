/** The demo: the guide's two offer-change journeys played end to end on an embedded server and simulated boxes. */
package net.otb.simulator.demo;
