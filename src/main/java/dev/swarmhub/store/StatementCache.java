package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One connection with its prepared statements kept for reuse: preparing costs more than running
 * most of this store's statements. Used by one transaction at a time; the least recently used
 * statement is closed when more than {@link #CAPACITY} distinct ones are kept.
 *
 * <p>A statement that failed is never reused: SQLite's driver finalizes it on most errors, and
 * every later run of it would fail with "statement is not executing". The connection itself is
 * marked {@link #failed()} when the error may have left it unusable (a full disk, I/O errors,
 * corruption, the driver's own errors, anything not known to be harmless): its owner replaces it
 * once the transaction is over, so no state such a failure leaves behind (an open transaction,
 * SQLite's write lock) outlives it. Errors in one statement's input or SQL (a duplicate key, a
 * bad full-text query) leave the connection as it was, so it and its statements are kept.
 */
final class StatementCache implements Statements, AutoCloseable {

    private static final int CAPACITY = 256;
    private static final int SQLITE_FULL = 13;
    /**
     * Primary result codes after which SQLite has undone the failing statement and left the
     * connection as it was: SQL or query error, value too big, constraint, type mismatch, bind
     * index out of range.
     */
    private static final Set<Integer> STATEMENT_ONLY_FAILURES = Set.of(1, 18, 19, 20, 25);

    final Connection connection;
    private final Path database;
    private boolean failed;
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

    StatementCache(Connection connection, Path database) {
        this.connection = connection;
        this.database = database;
    }

    @Override
    public PreparedStatement prepared(String sql) throws SQLException {
        return Statements.kept(statements, connection, sql);
    }

    /**
     * Forgets the statement that just failed and, unless the error was the statement's alone,
     * marks this connection for replacement; returns the exception to throw:
     * {@link StoreBusyException} when another process kept the database locked, else a
     * {@link StoreException} saying what failed (a full disk in plain words).
     */
    @Override
    public StoreException failure(String sql, String what, SQLException cause) {
        if (!STATEMENT_ONLY_FAILURES.contains(cause.getErrorCode() & 0xFF)) {
            markFailed();
        }
        PreparedStatement statement = statements.remove(sql);
        if (statement != null) {
            closeQuietly(statement);
        }
        if (StoreBusyException.isBusy(cause)) {
            return new StoreBusyException(database, cause);
        }
        if ((cause.getErrorCode() & 0xFF) == SQLITE_FULL) {
            return new StoreException(SwarmException.Kind.UNAVAILABLE, "the disk holding the store " + database + " is full, so nothing of this operation was stored;"
                    + " free space and retry", cause);
        }
        return new StoreException(what, cause);
    }

    /** Marks the connection for replacement once its transaction is over. */
    void markFailed() {
        failed = true;
    }

    /** Whether a failure on this connection since it was opened may have left it unusable. */
    boolean failed() {
        return failed;
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
            // closing a statement that failed, or of a connection being given up
        }
    }
}
