/** The agent's configuration file (Java properties), read and checked field by field. */
package net.otb.agent.config;
