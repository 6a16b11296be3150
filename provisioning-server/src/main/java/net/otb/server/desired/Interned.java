package net.otb.server.desired;

/**
 * One copy of each of the few values that thousands of boxes share (offers, models, firmware and agent versions,
 * instance ids): the box states held in memory keep references, not copies, so that 10,000 of them stay small.
 */
final class Interned {

    private Interned() {
    }

    static String of(String value) {
        return value == null ? null : value.intern();
    }
}
