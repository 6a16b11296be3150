package net.otb.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.otb.server.ServerContext;
import net.otb.server.desired.TaskState;
import net.otb.server.cluster.Presence;
import net.otb.server.rollout.RolloutDriver;

/**
 * The operators' web console: its static page ({@code GET /console}, plain HTML, CSS and JavaScript from the jar) and
 * the read-only admin routes it reads besides the existing ones: the fleet by model, the instances and their sessions,
 * push tasks by state. The page fetches everything through one function, so the API's authentication headers can be
 * added in one place.
 */
public final class ConsoleApi implements ApiModule {

    /** Where the page's files are, on the class path. */
    static final String ASSETS = "net/otb/server/console/";

    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    /** Boxes of one model: how many, online now, bound, in sync (applied = desired generation), behind. */
    public record ModelFleet(String model, long devices, long online, long bound, long inSync, long behind) {
    }

    /** A bound box whose applied generation is not its service's desired one. */
    public record Behind(String deviceId, String model, boolean online, String serviceName, long appliedGeneration,
                         long desiredGeneration) {
    }

    /** The fleet by model, and the first boxes behind. */
    public record FleetByModel(List<ModelFleet> models, List<Behind> behind) {
    }

    /** A server instance: its agent sessions and the rollouts it drives. */
    public record Instance(String instance, boolean self, int sessions, long rolloutsLeased) {
    }

    private final Presence presence;
    private final RolloutDriver driver;
    private final Map<String, byte[]> assets = new LinkedHashMap<>();

    /** @param presence where the boxes' sessions are, on this instance and the others on the same database */
    public ConsoleApi(Presence presence, RolloutDriver driver) {
        this.presence = presence;
        this.driver = driver;
        for (String name : TYPES.keySet()) {
            assets.put(name, load(name));
        }
    }

    private static byte[] load(String name) {
        try (InputStream in = ConsoleApi.class.getClassLoader().getResourceAsStream(ASSETS + name)) {
            if (in == null) {
                throw new IllegalStateException("the console's " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console's " + name, e);
        }
    }

    @Override
    public void register(Router router, ServerContext context) {
        router.plain("GET", "/console", request -> asset("index.html"));
        router.plain("GET", "/console/{asset}", request -> {
            String name = request.pathParam("asset");
            if (!assets.containsKey(name)) {
                throw Problems.notFound("no console file " + name);
            }
            return asset(name);
        });
        router.get("/1.0/admin/fleet/models", (request, tx) -> {
            // aggregates the store computes, and the few boxes behind it lists: never the whole fleet's rows
            Map<String, long[]> byModel = new TreeMap<>();
            tx.query("SELECT d.model, COUNT(*), COUNT(s.name), SUM(CASE WHEN s.name = d.applied_service "
                    + "AND d.applied_generation = s.desired_generation THEN 1 ELSE 0 END) "
                    + "FROM devices d LEFT JOIN services s ON s.device_id = d.id GROUP BY d.model", row -> {
                        long bound = row.getLong(3);
                        long inSync = row.getLong(4);
                        byModel.put(row.getString(1), new long[] {row.getLong(2), 0, bound, inSync, bound - inSync});
                        return null;
                    });
            Presence.View sessions = presence.read(tx);
            sessions.onlineByModel(tx).forEach((model, online) -> {
                long[] c = byModel.get(model);
                if (c != null) {
                    c[1] = online;
                }
            });
            int maxBehind = request.intQuery("behind", 20, 0, 1_000);
            List<Behind> behind = tx.query("SELECT d.id, d.model, s.name, s.desired_generation, d.applied_service, "
                    + "d.applied_generation, d.owner_instance FROM devices d JOIN services s ON s.device_id = d.id "
                    + "WHERE d.applied_service IS NULL OR d.applied_service <> s.name "
                    + "OR d.applied_generation <> s.desired_generation ORDER BY d.id LIMIT ?",
                    row -> {
                        String service = row.getString(3);
                        return new Behind(row.getString(1), row.getString(2),
                                sessions.connected(row.getString(1), row.getString(7)), service,
                                service.equals(row.getString(5)) ? row.getLong(6) : 0, row.getLong(4));
                    }, maxBehind);
            List<ModelFleet> models = new ArrayList<>();
            byModel.forEach((model, c) -> models.add(new ModelFleet(model, c[0], c[1], c[2], c[3], c[4])));
            return ApiResponse.ok(new FleetByModel(models, behind));
        });
        router.get("/1.0/admin/instances", (request, tx) -> {
            // every instance whose lease runs (this one first), its sessions and the rollouts it drives
            Map<String, Integer> sessions = presence.read(tx).sessionsByInstance(tx);
            List<Instance> instances = new ArrayList<>();
            List<String> ids = new ArrayList<>(new java.util.TreeSet<>(sessions.keySet()));
            ids.remove(driver.instanceId());
            ids.add(0, driver.instanceId());
            for (String id : ids) {
                long leased = tx.queryLong("SELECT COUNT(*) FROM rollouts WHERE lease_owner = ?", id);
                instances.add(new Instance(id, id.equals(driver.instanceId()), sessions.getOrDefault(id, 0), leased));
            }
            return ApiResponse.ok(instances);
        });
        router.get("/1.0/admin/tasks", (request, tx) -> {
            TaskState state;
            try {
                state = TaskState.fromWire(request.query("state").orElse("error"));
            } catch (IllegalArgumentException e) {
                throw Problems.invalidField("state", e.getMessage());
            }
            return ApiResponse.ok(context.tasks().byState(tx, state, request.intQuery("limit", 100, 1, 1_000)));
        });
    }

    /**
     * The page runs only its own script, reads only this server, and is never framed; inline styles are allowed for the
     * progress bars' widths (every value the script writes into the page is escaped first).
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' "
            + "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            + "form-action 'self'";

    private ApiResponse asset(String name) {
        return new ApiResponse(200, assets.get(name), TYPES.get(name), Map.of("Cache-Control", "no-cache",
                "Content-Security-Policy", CONTENT_SECURITY_POLICY, "X-Content-Type-Options", "nosniff",
                "Referrer-Policy", "no-referrer"));
    }
}
