/** The on-box agent: the {@link net.otb.agent.Agent} daemon, its listener, settings and command line. */
package net.otb.agent;
