package net.otb.agent.state;

/** Keeps the state in a field. */
final class InMemoryStateStore implements StateStore {

    private volatile AgentState state = AgentState.EMPTY;

    @Override
    public AgentState load() {
        return state;
    }

    @Override
    public void save(AgentState state) {
        this.state = state;
    }
}
