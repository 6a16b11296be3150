package net.otb.server.api;

import java.sql.SQLException;
import net.otb.server.store.Tx;

/**
 * A route's handler. It runs on a worker thread (never the event loop), inside a transaction the
 * framework opens and commits after it returns; with an {@code Idempotency-Key}, the stored answer commits
 * in the same transaction. It may run more than once when the database asks for a retry, so it acts on
 * the world only through the transaction and {@link Tx#afterCommit}. A thrown {@link ProblemException}
 * rolls back and is answered as problem+json.
 */
@FunctionalInterface
public interface ApiHandler {

    ApiResponse handle(ApiRequest request, Tx tx) throws SQLException;
}
