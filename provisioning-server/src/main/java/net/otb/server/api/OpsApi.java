package net.otb.server.api;

import java.util.Map;
import net.otb.server.ServerContext;
import net.otb.server.metrics.FleetGauges;

/** {@code GET /metrics} (Prometheus text) and {@code GET /healthz} (the store answers). */
public final class OpsApi implements ApiModule {

    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    @Override
    public void register(Router router, ServerContext context) {
        FleetGauges.register(context.metrics(), context.database());
        router.plain("GET", "/metrics", request -> ApiResponse.text(200, PROMETHEUS_TEXT, context.metrics().render()));
        router.plain("GET", "/healthz", request -> context.database().isHealthy()
                ? ApiResponse.ok(Map.of("status", "ok"))
                : ApiResponse.json(503, Map.of("status", "unavailable", "detail", "the database does not answer",
                        "message", "the database does not answer")));
    }
}
