package net.otb.agent.backend;

import java.util.Iterator;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds backend factories on the class path by name. A listed provider that is missing or fails to load is
 * skipped (the agent jar lists the Linux backend, which a build for tests may lack).
 */
public final class DeviceBackends {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceBackends.class);

    private DeviceBackends() {
    }

    /** The factories found, by name. */
    public static Map<String, DeviceBackendFactory> available() {
        return available(DeviceBackends.class.getClassLoader());
    }

    /** The factories {@code loader} can see, by name; the first one of a name wins. */
    public static Map<String, DeviceBackendFactory> available(ClassLoader loader) {
        Map<String, DeviceBackendFactory> found = new TreeMap<>();
        Iterator<DeviceBackendFactory> providers = ServiceLoader.load(DeviceBackendFactory.class, loader).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                DeviceBackendFactory factory = providers.next();
                found.putIfAbsent(factory.name(), factory);
            } catch (ServiceConfigurationError e) {
                LOG.debug("skipping a backend provider: {}", e.getMessage());
            }
        }
        return found;
    }

    /**
     * Makes the backend called {@code name}.
     *
     * @throws IllegalArgumentException when no factory has that name, or an option is bad (message names it)
     * @throws BackendException when the factory cannot drive the box
     */
    public static DeviceBackend create(String name, Map<String, String> options) throws BackendException {
        Map<String, DeviceBackendFactory> factories = available();
        DeviceBackendFactory factory = factories.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("backend: unknown backend '" + name + "', available: "
                    + String.join(", ", factories.keySet()));
        }
        return factory.create(options);
    }
}
