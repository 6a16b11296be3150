package net.otb.server.desired;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import net.otb.server.store.Tx;

/**
 * The boxes' states held by the gateway's stripes (see {@link BoxState}). A state is loaded once, in the transaction
 * that first needs it, and changed in the transactions that write the same change; every box a transaction touches
 * is dropped again if that transaction rolls back, so memory never holds what the store does not. A box changed by
 * another writer (the desired-state engine, another instance) is {@link #forget forgotten} in its stripe's order and
 * loaded again when next needed. Thread-safe; a box's state is only changed on its stripe's thread.
 */
final class BoxMemory {

    private static final Object TOUCHED = new Object();

    private final BoxStore store;
    private final Map<String, BoxState> states = new ConcurrentHashMap<>();

    BoxMemory(BoxStore store) {
        this.store = store;
    }

    /** Loads, in one go, the states of those of {@code deviceIds} not held yet (a stripe's group). */
    void preload(Tx tx, Collection<String> deviceIds) throws SQLException {
        List<String> missing = new ArrayList<>();
        for (String id : deviceIds) {
            if (!states.containsKey(id)) {
                missing.add(id);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        Map<String, BoxState> loaded = store.load(tx, new HashSet<>(missing));
        for (BoxState box : loaded.values()) {
            touched(tx).add(box.id);
            states.put(box.id, box);
        }
    }

    /** The box's state, loaded in {@code tx} if not held; null when the box is not registered (never held). */
    BoxState get(Tx tx, String deviceId) throws SQLException {
        BoxState box = states.get(deviceId);
        if (box == null) {
            box = store.load(tx, List.of(deviceId)).get(deviceId);
            if (box == null) {
                return null;
            }
            states.put(deviceId, box);
        }
        touched(tx).add(deviceId);
        return box;
    }

    /** The box's state if memory holds it (touched in {@code tx}), else null; never loads. */
    BoxState held(Tx tx, String deviceId) {
        BoxState box = states.get(deviceId);
        if (box != null) {
            touched(tx).add(deviceId);
        }
        return box;
    }

    /** Drops the box's state: the next transaction that needs it reads the store. */
    void forget(String deviceId) {
        states.remove(deviceId);
    }

    /** Drops the box's state now and again if {@code tx} rolls back. */
    void forget(Tx tx, String deviceId) {
        touched(tx).add(deviceId);
        states.remove(deviceId);
    }

    /** Drops every state (this instance lost its lease: anything may have changed). */
    void clear() {
        states.clear();
    }

    /** The model of a box held, or null. */
    String modelOf(String deviceId) {
        BoxState box = states.get(deviceId);
        return box == null ? null : box.model;
    }

    int size() {
        return states.size();
    }

    /** Every state held, for the sweep's hints; the values may be mid-change. */
    void forEach(Consumer<BoxState> action) {
        states.values().forEach(action);
    }

    private Set<String> touched(Tx tx) {
        return tx.attachment(TOUCHED, () -> {
            Set<String> made = new HashSet<>();
            tx.onRollback(() -> made.forEach(states::remove));
            return made;
        });
    }
}
