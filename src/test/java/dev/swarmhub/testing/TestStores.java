package dev.swarmhub.testing;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.store.SqliteStore;
import dev.swarmhub.store.Stores;
import java.nio.file.Path;
import java.time.InstantSource;

/** The one way tests open a project's store: through the production factory ({@link Stores}). */
public final class TestStores {

    private TestStores() {
    }

    /** The store of the project at {@code root} (created on first use), on the given clock. */
    public static Store open(Path root, InstantSource clock) {
        return Stores.open(root, Stores.Config.defaults().withClock(clock));
    }

    /** The store of the project at {@code root} on this machine's clock. */
    public static Store open(Path root) {
        return open(root, InstantSource.system());
    }

    /** For tests of the SQLite store's own behaviour (connections, files): the project's SQLite store itself. */
    public static SqliteStore sqlite(Path root, InstantSource clock) {
        return (SqliteStore) open(root, clock);
    }

    public static SqliteStore sqlite(Path root) {
        return sqlite(root, InstantSource.system());
    }
}
