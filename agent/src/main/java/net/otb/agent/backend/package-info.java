/**
 * The {@code DeviceBackend} SPI through which the agent shapes the box, the {@code DeviceBackendFactory} SPI
 * ({@link java.util.ServiceLoader}, picked by the config's {@code backend} name, options from {@code backend.*}),
 * and the in-memory backend of the agent's own tests.
 */
package net.otb.agent.backend;
