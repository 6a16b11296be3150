package net.otb.simulator.campaign;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the campaign's order system and operator were answered, and the boxes it ran: the record the
 * {@link Checker} holds the store, the boxes and the audit log against. Written by the schedule's one thread.
 */
final class Ledger {

    /** A box of the run. {@code service} is the service it was first bound to, or null for a spare. */
    record Box(String serial, String model, String service, Path stateDirectory, Path historyFile, boolean child) {
    }

    /** A service and the IP it was created with. */
    record Service(String name, String serviceIp, String firstBox) {
    }

    /** A {@code changeOffers} sent with {@code key}; {@code orderId} once answered 201, {@code refusal} once refused. */
    static final class Order {
        final String key;
        final String service;
        final String offer;
        final String hardware;
        Long orderId;
        String refusal;
        boolean payAnswered;
        boolean cancelAnswered;
        String shippedBox;
        String reservedBox;

        Order(String key, String service, String offer, String hardware) {
            this.key = key;
            this.service = service;
            this.offer = offer;
            this.hardware = hardware;
        }

        boolean answered() {
            return orderId != null || refusal != null;
        }
    }

    /** A profile an answered bulk change or operator change returned. */
    record Profile(String service, long generation, String offer) {
    }

    final Map<String, Box> boxes = new LinkedHashMap<>();
    final Map<String, Service> services = new LinkedHashMap<>();
    final Map<String, Order> orders = new LinkedHashMap<>();
    final List<Profile> profiles = new ArrayList<>();
    final Set<String> revoked = new LinkedHashSet<>();
    /** State files found unreadable or incomplete while the run went on, with when. */
    final List<String> stateFileProblems = new ArrayList<>();
    /** Every call answered 2xx, by idempotency key: the store must hold each key's first answer. */
    final Map<String, String> answeredKeys = new LinkedHashMap<>();
    /** Requests that never got an answer, even after the end phase's retries. */
    final List<String> unanswered = new ArrayList<>();

    Order order(long orderId) {
        for (Order order : orders.values()) {
            if (order.orderId != null && order.orderId == orderId) {
                return order;
            }
        }
        return null;
    }

    /** The boxes a service was bound to before its last box: each must end decommissioned. */
    Set<String> replacedBoxes() {
        Set<String> replaced = new LinkedHashSet<>();
        for (Service service : services.values()) {
            String bound = boundBox(service.name());
            if (!service.firstBox().equals(bound)) {
                replaced.add(service.firstBox());
            }
            for (Order order : orders.values()) {
                if (order.service.equals(service.name()) && order.shippedBox != null && order.payAnswered
                        && !order.shippedBox.equals(bound)) {
                    replaced.add(order.shippedBox);
                }
            }
        }
        return replaced;
    }

    /** The box bound to {@code service} in the end: the shipped one of its last received migration, else its first. */
    String boundBox(String service) {
        String box = services.get(service).firstBox();
        for (Order order : orders.values()) {
            if (order.service.equals(service) && order.shippedBox != null && order.payAnswered) {
                box = order.shippedBox;
            }
        }
        return box;
    }
}
