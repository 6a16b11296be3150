package net.otb.server.desired;

/**
 * How committed changes reach connected boxes: the gateway implements it. Calls come after the commit
 * and must not block; they are hints, the store is the truth (a box that misses one is reconciled at its
 * next hello or by the periodic sweep).
 */
public interface DeviceNotifier {

    /** The box's desired state changed: reconcile its session, if it has one here. */
    void deviceChanged(String deviceId);

    /** The box was revoked: close its session at once. */
    void deviceRevoked(String deviceId);

    /** A notifier for when no gateway runs (tools, tests of the domain alone). */
    DeviceNotifier NONE = new DeviceNotifier() {
        @Override
        public void deviceChanged(String deviceId) {
        }

        @Override
        public void deviceRevoked(String deviceId) {
        }
    };
}
