package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Locale;

/**
 * The one place a project's store is chosen: by configuration, SQLite (the embedded store at
 * {@code <root>/.swarm/swarm.db}) by default. Another database plugs in here and nowhere else;
 * everything above works on {@link Store}.
 */
public final class Stores {

    /** Which database holds the project's state, and the store clock (tests inject one). */
    public record Config(String database, InstantSource clock) {

        public static final String SQLITE = "sqlite";

        /** The embedded SQLite store on this machine's clock. */
        public static Config defaults() {
            return new Config(SQLITE, InstantSource.system());
        }

        public Config withClock(InstantSource clock) {
            return new Config(database, clock);
        }
    }

    private Stores() {
    }

    /** Opens (creating and migrating on first use) the store of the project at {@code root}. */
    public static Store open(Path root, Config config) {
        String database = config.database() == null ? Config.SQLITE : config.database().toLowerCase(Locale.ROOT);
        return switch (database) {
            case Config.SQLITE -> SqliteStore.open(root.resolve(".swarm").resolve("swarm.db"), config.clock());
            default -> throw new IllegalArgumentException("unknown store database '" + config.database() + "' (known: sqlite)");
        };
    }
}
