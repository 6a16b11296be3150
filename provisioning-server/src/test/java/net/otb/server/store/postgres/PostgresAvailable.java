package net.otb.server.store.postgres;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Skips a PostgreSQL test class, saying why in the report and the log, when no test database is configured;
 * under {@code CI=true} the class runs anyway, so that {@link PostgresSchema#create} fails it.
 */
final class PostgresAvailable implements ExecutionCondition {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresAvailable.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String url = System.getenv(PostgresSchema.URL_VARIABLE);
        if ((url != null && !url.isBlank()) || "true".equalsIgnoreCase(System.getenv("CI"))) {
            return ConditionEvaluationResult.enabled(PostgresSchema.URL_VARIABLE + " is set, or CI requires it");
        }
        String reason = "PostgreSQL tests skipped: " + PostgresSchema.WHY_MISSING;
        if (context.getTestMethod().isEmpty()) {
            LOG.warn("{}: {}", context.getDisplayName(), reason);
        }
        return ConditionEvaluationResult.disabled(reason);
    }
}
