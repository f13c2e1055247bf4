package dev.swarmhub.store;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/** The statements of one transaction's connection, and what a failed one means for that connection. */
interface Statements {

    /** The statement for the SQL, its parameters cleared. */
    PreparedStatement prepared(String sql) throws SQLException;

    /** The exception to throw for the statement's failure, in words a user can act on. */
    StoreException failure(String sql, String what, SQLException cause);
}
