package net.otb.server.auth;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The kinds of caller (docs/architecture.md#the-order-api), each with the access rules its consumer keys get by default: the four the order
 * system's journey needs, and a read-only operator ({@link #VIEWER}, the console's watcher). Paths are relative to
 * {@code /1.0}, as in OVH's rules. Every signed caller may also read {@code GET /1.0/auth/currentCredential}
 * ({@link Authenticator#ANY_ROLE_ROUTES}), whatever its rules.
 */
public enum Role {

    /** Offers, quote, changeOffers, orders (read, cancel), contacts, refunds, the service's state. */
    ORDER_SYSTEM("order-system", List.of(
            new AccessRule("GET", "/overTheBox/*"),
            new AccessRule("POST", "/overTheBox/*/migration/changeOffers"),
            new AccessRule("GET", "/order/overTheBox/*"),
            new AccessRule("GET", "/me/order/*"),
            new AccessRule("POST", "/me/order/*/cancel"),
            new AccessRule("GET", "/me/contact"),
            new AccessRule("GET", "/me/contact/*"),
            new AccessRule("POST", "/me/contact"),
            new AccessRule("GET", "/me/refund"))),

    /** The payment notification, and the order it pays. */
    BILLING("billing", List.of(
            new AccessRule("GET", "/me/order/*"),
            new AccessRule("POST", "/me/order/*/pay"))),

    /** The shipment of a box for an order, and the order it ships. */
    WAREHOUSE("warehouse", List.of(
            new AccessRule("GET", "/me/order/*"),
            new AccessRule("POST", "/me/order/*/shipment"))),

    /** The admin and fleet routes (boxes, services, bulk changes, revocation, audit) and the services' state. */
    OPERATOR("operator", List.of(
            new AccessRule("GET", "/admin/*"),
            new AccessRule("POST", "/admin/*"),
            new AccessRule("GET", "/overTheBox/*"))),

    /** What the operator reads, nothing it changes: the admin and fleet routes' GETs (the console read-only). */
    VIEWER("viewer", List.of(
            new AccessRule("GET", "/admin/*"),
            new AccessRule("GET", "/overTheBox/*")));

    private final String wire;
    private final List<AccessRule> rules;

    Role(String wire, List<AccessRule> rules) {
        this.wire = wire;
        this.rules = rules;
    }

    /** The name in commands and the store, e.g. {@code order-system}. */
    public String wire() {
        return wire;
    }

    /** The default access rules of this role's consumer keys. */
    public List<AccessRule> rules() {
        return rules;
    }

    /**
     * The role of a wire name (case-insensitive; {@code order_system} works too).
     *
     * @throws IllegalArgumentException naming the roles there are
     */
    public static Role parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return Arrays.stream(values()).filter(r -> r.wire.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown role '" + name + "'; the roles are "
                        + Arrays.stream(values()).map(Role::wire).toList()));
    }
}
