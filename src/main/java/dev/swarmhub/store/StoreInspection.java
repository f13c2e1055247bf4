package dev.swarmhub.store;

import java.util.List;
import java.util.Optional;
import org.flywaydb.core.api.MigrationVersion;

/**
 * What a read-only look at a store found (swarm doctor, and restore's check of a file): SQLite's
 * integrity problems (none: intact), the schema version its history records against this code's,
 * and the size of its write-ahead log (SQLite; 0 for PostgreSQL).
 */
public record StoreInspection(String location, List<String> problems, Optional<String> schemaVersion, String codeSchemaVersion,
                              Schema schema, long walBytes) {

    /** How a store's schema compares with this code's. */
    public enum Schema {
        /** This code's version. */
        CURRENT,
        /** Older: the next process that opens the store migrates it. */
        BEHIND,
        /** A newer swarm migrated it: this one refuses to open it. */
        NEWER,
        /** No schema history: not a Swarmhub store (or an empty one). */
        NONE
    }

    public boolean intact() {
        return problems.isEmpty();
    }

    static Schema compare(Optional<MigrationVersion> applied, String ours) {
        if (applied.isEmpty()) {
            return Schema.NONE;
        }
        int order = applied.get().compareTo(MigrationVersion.fromVersion(ours));
        return order == 0 ? Schema.CURRENT : order < 0 ? Schema.BEHIND : Schema.NEWER;
    }
}
