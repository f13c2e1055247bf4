package dev.swarmhub.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One connection with its prepared statements kept for reuse: preparing costs more than running
 * most of this store's statements. Used by one transaction at a time; the least recently used
 * statement is closed when more than {@link #CAPACITY} distinct ones are kept.
 */
final class StatementCache implements AutoCloseable {

    private static final int CAPACITY = 256;

    final Connection connection;
    private final Map<String, PreparedStatement> statements = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
            if (size() <= CAPACITY) {
                return false;
            }
            closeQuietly(eldest.getValue());
            return true;
        }
    };

    StatementCache(Connection connection) {
        this.connection = connection;
    }

    PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        } else {
            statement.clearParameters();
        }
        return statement;
    }

    @Override
    public void close() throws SQLException {
        statements.values().forEach(StatementCache::closeQuietly);
        statements.clear();
        connection.close();
    }

    private static void closeQuietly(PreparedStatement statement) {
        try {
            statement.close();
        } catch (SQLException ignored) {
            // closing a statement of a connection being given up
        }
    }
}
