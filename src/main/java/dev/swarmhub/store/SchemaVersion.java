package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;

/**
 * A database's schema version, as Flyway recorded it. Flyway itself ignores migrations applied
 * by a newer version of the code ("future" ones), so an older swarm would run on a schema it
 * does not know: it is refused instead.
 */
final class SchemaVersion {

    private SchemaVersion() {
    }

    /** The newest migration applied to the database; empty when none is. Throws when it has no schema history (a new database). */
    static Optional<MigrationVersion> newestApplied(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet versions = statement.executeQuery("SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
            MigrationVersion newest = null;
            while (versions.next()) {
                MigrationVersion version = MigrationVersion.fromVersion(versions.getString(1));
                newest = newest == null || version.compareTo(newest) > 0 ? version : newest;
            }
            return Optional.ofNullable(newest);
        }
    }

    /**
     * Whether {@code applied} is this code's schema version, {@code ours}: false when the database
     * is behind (it is to be migrated); a database a newer version migrated is refused.
     */
    static boolean isCurrent(Optional<MigrationVersion> applied, String ours, String database) {
        MigrationVersion mine = MigrationVersion.fromVersion(ours);
        if (applied.isPresent() && applied.get().compareTo(mine) > 0) {
            throw new StoreException(SwarmException.Kind.UNAVAILABLE, "the database at " + database + " has schema version " + applied.get()
                    + ", newer than this swarm's " + ours + ": upgrade swarm", null);
        }
        return applied.filter(mine::equals).isPresent();
    }
}
