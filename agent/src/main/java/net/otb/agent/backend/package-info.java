/** The {@code DeviceBackend} SPI through which the agent shapes the box, and the in-memory backend of the agent's own tests. */
package net.otb.agent.backend;
