package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;
import org.sqlite.SQLiteConfig;

/**
 * A SQLite store's database as a file, never opened as the project's store (which would create,
 * migrate or tighten things): looked at read-only (swarm doctor).
 */
public final class SqliteFiles {

    /** Problems a check lists at most: the first ones say what to do as well as all would. */
    private static final int MOST_PROBLEMS = 20;

    private SqliteFiles() {
    }

    /** The project's database file (whichever store the project chose: see {@link Stores#sqliteFile}). */
    static Path database(Path root) {
        return root.resolve(".swarm").resolve("swarm.db");
    }

    public static Path wal(Path database) {
        return database.resolveSibling(database.getFileName() + "-wal");
    }

    public static Path shm(Path database) {
        return database.resolveSibling(database.getFileName() + "-shm");
    }

    /**
     * Looks at the database without changing it: SQLite's quick_check, or its slower
     * integrity_check ({@code thorough}, which also compares every index with its table), and the
     * schema version its history records. A file SQLite cannot read at all is a problem too.
     */
    public static StoreInspection inspect(Path database, boolean thorough) {
        if (!Files.isRegularFile(database)) {
            throw SwarmException.badInput("no database file at " + database);
        }
        long walBytes = sizeOrZero(wal(database));
        List<String> problems = new ArrayList<>();
        Optional<MigrationVersion> applied = Optional.empty();
        try (Connection connection = openReadOnly(database); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + SqliteStore.BUSY_TIMEOUT_MS);
            try (ResultSet rows = statement.executeQuery("PRAGMA " + (thorough ? "integrity_check" : "quick_check") + "(" + MOST_PROBLEMS + ")")) {
                while (rows.next()) {
                    if (!"ok".equals(rows.getString(1))) {
                        problems.add(rows.getString(1));
                    }
                }
            }
            if (problems.isEmpty()) {
                applied = schemaHistory(connection);
            }
        } catch (SQLException unreadable) {
            problems.add(unreadable.getMessage()); // not a database, or damaged beyond checking
        }
        return new StoreInspection(database.toString(), List.copyOf(problems), applied.map(MigrationVersion::getVersion),
                SqliteStore.SCHEMA_VERSION, StoreInspection.compare(applied, SqliteStore.SCHEMA_VERSION), walBytes);
    }

    private static Optional<MigrationVersion> schemaHistory(Connection connection) throws SQLException {
        try {
            return SchemaVersion.newestApplied(connection);
        } catch (SQLException noHistory) {
            if (noHistory.getMessage() != null && noHistory.getMessage().contains("no such table")) {
                return Optional.empty();
            }
            throw noHistory;
        }
    }

    /**
     * Read-only. With no -wal or -shm beside it no process has the file open (the last one to close
     * it folds the log in and removes both), so all of it is in the file: it is opened immutable,
     * which leaves nothing behind (a read-only open of a WAL database creates a -shm and an empty
     * -wal that nobody removes). Otherwise as the store's processes open it, read-only.
     */
    private static Connection openReadOnly(Path database) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        boolean unopened = !Files.exists(wal(database)) && !Files.exists(shm(database));
        return DriverManager.getConnection(unopened ? "jdbc:sqlite:" + database.toUri() + "?immutable=1" : "jdbc:sqlite:" + database,
                config.toProperties());
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException absent) {
            return 0;
        }
    }
}
