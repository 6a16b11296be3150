/** The JDBC store: connection pool, versioned schema migrations, transactions with retry and after-commit actions. */
package net.otb.server.store;
