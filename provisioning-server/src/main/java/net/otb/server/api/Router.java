package net.otb.server.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Maps a method and a path to a handler. Templates are literal segments and {@code {name}} segments,
 * e.g. {@code /1.0/overTheBox/{serviceName}/tasks}; a literal segment wins over a parameter. Routes are
 * added before the server starts and only read afterwards.
 */
public final class Router {

    /** A registered route: exactly one of {@code handler} and {@code plain} is set. */
    public record Route(String method, String template, ApiHandler handler, PlainHandler plain) {

        /** Whether the route changes state, hence honours {@code Idempotency-Key}. */
        public boolean stateChanging() {
            return !method.equals("GET") && !method.equals("HEAD");
        }

        List<String> segments() {
            return split(template);
        }
    }

    /** The outcome of a lookup: a route and its parameters, or the methods the path allows (maybe none). */
    public record Match(Route route, Map<String, String> params, Set<String> allowed) {
    }

    private static final Pattern PARAM = Pattern.compile("\\{[A-Za-z][A-Za-z0-9]*}");
    private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@-]+");

    private final List<Route> routes = new ArrayList<>();

    /** A route run in a transaction on a worker thread. */
    public Router route(String method, String template, ApiHandler handler) {
        return add(new Route(method, template, handler, null));
    }

    /** A route that needs no transaction; still run on a worker thread. */
    public Router plain(String method, String template, PlainHandler handler) {
        return add(new Route(method, template, null, handler));
    }

    public Router get(String template, ApiHandler handler) {
        return route("GET", template, handler);
    }

    public Router post(String template, ApiHandler handler) {
        return route("POST", template, handler);
    }

    public Router put(String template, ApiHandler handler) {
        return route("PUT", template, handler);
    }

    public Router delete(String template, ApiHandler handler) {
        return route("DELETE", template, handler);
    }

    /** Every registered route, in registration order (the OpenAPI check reads it). */
    public List<Route> routes() {
        return Collections.unmodifiableList(routes);
    }

    /** Finds the route of {@code method} on {@code path}. */
    public Match match(String method, String path) {
        List<String> segments = split(path);
        Route best = null;
        Map<String, String> bestParams = null;
        int bestLiterals = -1;
        Set<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            Map<String, String> params = new LinkedHashMap<>();
            int literals = matches(route.segments(), segments, params);
            if (literals < 0) {
                continue;
            }
            allowed.add(route.method());
            if (route.method().equals("GET")) {
                allowed.add("HEAD");
            }
            boolean methodMatches = route.method().equals(method) || (method.equals("HEAD") && route.method().equals("GET"));
            if (methodMatches && literals > bestLiterals) {
                best = route;
                bestParams = params;
                bestLiterals = literals;
            }
        }
        return new Match(best, bestParams == null ? Map.of() : bestParams, allowed);
    }

    private Router add(Route route) {
        if (route.method() == null || !route.method().matches("[A-Z]+")) {
            throw new IllegalArgumentException("a route's method is an upper-case HTTP method, got " + route.method());
        }
        if (route.template() == null || !route.template().startsWith("/")) {
            throw new IllegalArgumentException("a route template starts with '/', got " + route.template());
        }
        for (String segment : route.segments()) {
            if (!PARAM.matcher(segment).matches() && !LITERAL.matcher(segment).matches()) {
                throw new IllegalArgumentException("bad segment '" + segment + "' in " + route.template());
            }
        }
        for (Route existing : routes) {
            if (existing.method().equals(route.method()) && normalized(existing).equals(normalized(route))) {
                throw new IllegalArgumentException("duplicate route " + route.method() + " " + route.template()
                        + " (already " + existing.template() + ")");
            }
        }
        routes.add(route);
        return this;
    }

    private static String normalized(Route route) {
        return String.join("/", route.segments().stream().map(s -> s.startsWith("{") ? "{}" : s).toList());
    }

    private static int matches(List<String> template, List<String> path, Map<String, String> params) {
        if (template.size() != path.size()) {
            return -1;
        }
        int literals = 0;
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            String p = decode(path.get(i));
            if (t.startsWith("{")) {
                if (p.isEmpty()) {
                    return -1;
                }
                params.put(t.substring(1, t.length() - 1), p);
            } else if (t.equals(p)) {
                literals++;
            } else {
                return -1;
            }
        }
        return literals;
    }

    private static String decode(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        // in a path '+' is a plus sign, not a space as in a form
        return io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(segment.replace("+", "%2B"));
    }

    static List<String> split(String path) {
        List<String> segments = new ArrayList<>();
        int start = 1;
        if (path.equals("/")) {
            return segments;
        }
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            if (slash < 0) {
                segments.add(path.substring(start));
                break;
            }
            segments.add(path.substring(start, slash));
            start = slash + 1;
        }
        return segments;
    }
}
