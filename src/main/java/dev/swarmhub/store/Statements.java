package dev.swarmhub.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/** The statements of one transaction's connection, and what a failed one means for that connection. */
interface Statements {

    /** The statement for the SQL, its parameters cleared. */
    PreparedStatement prepared(String sql) throws SQLException;

    /** The exception to throw for the statement's failure, in words a user can act on. */
    StoreException failure(String sql, String what, SQLException cause);

    /** The statement kept for the SQL (its parameters cleared), or one prepared now and kept. */
    static PreparedStatement kept(Map<String, PreparedStatement> kept, Connection connection, String sql) throws SQLException {
        PreparedStatement statement = kept.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            kept.put(sql, statement);
        } else {
            statement.clearParameters();
        }
        return statement;
    }
}
