package net.otb.agent.state;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the agent keeps its {@link AgentState}. A save replaces the whole state at once: after a crash at
 * any instant {@link #load} returns the old or the new state, never a mix.
 */
public interface StateStore {

    /**
     * The saved state, or {@link AgentState#EMPTY} on first start.
     *
     * @throws IOException when the state exists but cannot be read
     */
    AgentState load() throws IOException;

    /**
     * Replaces the saved state.
     *
     * @throws IOException when it cannot be written; the saved state is then unchanged
     */
    void save(AgentState state) throws IOException;

    /** A store in the folder {@code directory}: {@code state.json}, written with write, fsync, rename, fsync folder. */
    static StateStore directory(Path directory) {
        return new DirectoryStateStore(directory);
    }

    /** A store that forgets on exit, for simulated fleets where ten thousand fsyncs would measure the disk. */
    static StateStore inMemory() {
        return new InMemoryStateStore();
    }
}
