package net.otb.server.cluster;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import net.otb.server.gateway.SessionRegistry;
import net.otb.server.store.Tx;

/**
 * Where the boxes' sessions are, as any instance sees it: this instance's own sessions from its registry (exact, and
 * current to the millisecond), another instance's from the box's ownership row ({@code owner_instance}, written at
 * hello and cleared when the session ends) when that instance's lease still runs. An instance that died holds
 * nothing, whatever its rows still say: its lease tells. On H2 (one instance) only the registry answers.
 */
public final class Presence {

    private final SessionRegistry registry;
    private final Supplier<String> self;
    private final java.util.function.Function<java.util.Collection<String>, Map<String, Long>> modelsOf;

    /** @param self this instance's id (known once the agent port is bound) */
    public Presence(SessionRegistry registry, Supplier<String> self) {
        this(registry, self, null);
    }

    /**
     * @param modelsOf how many of the given boxes there are of each model, from the gateway's memory (the boxes
     *        connected here are all held); null to read them from the store
     */
    public Presence(SessionRegistry registry, Supplier<String> self,
                    java.util.function.Function<java.util.Collection<String>, Map<String, Long>> modelsOf) {
        this.registry = registry;
        this.self = self;
        this.modelsOf = modelsOf;
    }

    /** The other instances whose lease runs, read in {@code tx}; one small query per view. */
    public View read(Tx tx) throws SQLException {
        Set<String> live = new HashSet<>(tx.query("SELECT instance_id FROM instances WHERE lease_until >= ?",
                row -> row.getString(1), tx.now()));
        live.remove(self.get());
        return new View(live);
    }

    /** What one read of the instances table says. */
    public final class View {

        private final Set<String> others;

        private View(Set<String> others) {
            this.others = others;
        }

        /** The instance that holds the box's session (this one or a live other), or null when none does. */
        public String holder(String deviceId, String ownerInstance) {
            if (registry.isConnected(deviceId)) {
                return self.get();
            }
            return ownerInstance != null && others.contains(ownerInstance) ? ownerInstance : null;
        }

        public boolean connected(String deviceId, String ownerInstance) {
            return holder(deviceId, ownerInstance) != null;
        }

        /** Sessions per live instance (every one, 0 included): this one's from its registry, the others' from the ownership rows. */
        public Map<String, Integer> sessionsByInstance(Tx tx) throws SQLException {
            Map<String, Integer> sessions = new HashMap<>();
            others.forEach(other -> sessions.put(other, 0));
            sessions.put(self.get(), registry.size());
            for (Object[] row : tx.query("SELECT owner_instance, COUNT(*) FROM devices WHERE owner_instance IS NOT NULL "
                    + "GROUP BY owner_instance", r -> new Object[] {r.getString(1), r.getLong(2)})) {
                if (others.contains((String) row[0])) {
                    sessions.put((String) row[0], (int) (long) (Long) row[1]);
                }
            }
            return sessions;
        }

        /**
         * Boxes connected anywhere, by model: this instance's from its registry (their models from the gateway's
         * memory), the live others' from their ownership rows, counted by the store.
         */
        public Map<String, Long> onlineByModel(Tx tx) throws SQLException {
            Map<String, Long> online = new HashMap<>();
            if (modelsOf != null) {
                online.putAll(modelsOf.apply(registry.connected()));
            }
            for (Object[] row : tx.query("SELECT owner_instance, model, COUNT(*) FROM devices WHERE owner_instance IS NOT "
                    + "NULL GROUP BY owner_instance, model", r -> new Object[] {r.getString(1), r.getString(2),
                    r.getLong(3)})) {
                String owner = (String) row[0];
                if (others.contains(owner) || modelsOf == null && owner.equals(self.get())) {
                    online.merge((String) row[1], (Long) row[2], Long::sum);
                }
            }
            return online;
        }

        /** Boxes connected anywhere: this instance's sessions and the live others'. */
        public int connectedCount(Tx tx) throws SQLException {
            return sessionsByInstance(tx).values().stream().mapToInt(Integer::intValue).sum();
        }
    }
}
