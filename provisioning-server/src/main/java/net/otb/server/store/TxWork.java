package net.otb.server.store;

import java.sql.SQLException;

/** Work done inside one transaction; it may run more than once when the database asks for a retry. */
@FunctionalInterface
public interface TxWork<T> {

    T run(Tx tx) throws SQLException;
}
