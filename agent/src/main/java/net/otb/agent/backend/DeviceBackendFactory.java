package net.otb.agent.backend;

import java.util.Map;

/**
 * Makes a {@link DeviceBackend} from the agent's configuration. Factories are found with
 * {@link java.util.ServiceLoader} and picked by {@link #name()} ({@code memory}, {@code linux-tc},
 * {@code simulated}); see {@link DeviceBackends}.
 *
 * <p>Every config property {@code backend.<key>=<value>} reaches {@link #create} as {@code options.get("<key>")}.
 * Implementations need a public no-argument constructor.
 */
public interface DeviceBackendFactory {

    /** The name a config selects this backend by: lower case letters, digits and '-'. */
    String name();

    /**
     * Makes the backend.
     *
     * @param options the {@code backend.*} properties, prefix stripped
     * @throws IllegalArgumentException when an option is missing or bad; the message starts with the option's full
     *         config name (e.g. {@code "backend.wan: no such interface eth9"}) because the agent prints it as is
     * @throws BackendException when the box cannot be driven (a tool is missing, no permission)
     */
    DeviceBackend create(Map<String, String> options) throws BackendException;
}
