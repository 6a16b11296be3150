package net.otb.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs a probe in a class loader that sees the test class path without jackson-databind, jackson-annotations and
 * picocli.
 * The agent's pom still brings them in (through the protocol module), so only this shows that a class works
 * without them: a reference to either fails with {@link NoClassDefFoundError} when the probe runs.
 */
public final class WithoutDatabind extends ClassLoader {

    /**
     * What the agent keeps off its path (docs/benchmarks.md, Agent): databind and its annotations, and picocli,
     * which the protocol module's tools use but the agent's own command line does not.
     */
    private static final List<String> HIDDEN = List.of("com.fasterxml.jackson.databind.",
            "com.fasterxml.jackson.annotation.", "picocli.");

    private final ClassLoader source;

    private WithoutDatabind(ClassLoader source) {
        // the platform loader as parent: every class of the class path is defined here again, from its bytes
        super("without-databind", ClassLoader.getPlatformClassLoader());
        this.source = source;
    }

    /**
     * Makes a new {@code probe} in a loader without databind and calls it.
     *
     * @param probe a class with a no-argument constructor; what it returns should be a JDK type
     */
    public static <T> T call(Class<? extends Callable<T>> probe) throws Exception {
        WithoutDatabind loader = new WithoutDatabind(probe.getClassLoader());
        Constructor<?> constructor = loader.loadClass(probe.getName()).getDeclaredConstructor();
        constructor.setAccessible(true);
        @SuppressWarnings("unchecked")
        Callable<T> isolated = (Callable<T>) constructor.newInstance();
        return isolated.call();
    }

    /** Whether the loader refuses {@code className}: a check that the hiding works at all. */
    public static boolean hides(String className) {
        try {
            Class.forName(className, false, new WithoutDatabind(WithoutDatabind.class.getClassLoader()));
            return false;
        } catch (ClassNotFoundException e) {
            return true;
        }
    }

    private static boolean hidden(String path) {
        String dotted = path.replace('/', '.');
        return HIDDEN.stream().anyMatch(dotted::startsWith);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (hidden(name)) {
            throw new ClassNotFoundException(name + " is hidden from code that must run without jackson-databind");
        }
        try (InputStream in = source.getResourceAsStream(name.replace('.', '/') + ".class")) {
            if (in == null) {
                throw new ClassNotFoundException(name);
            }
            byte[] bytes = in.readAllBytes();
            return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new ClassNotFoundException(name, e);
        }
    }

    @Override
    protected URL findResource(String name) {
        return hidden(name) ? null : source.getResource(name);
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
        return hidden(name) ? Collections.emptyEnumeration() : source.getResources(name);
    }
}
