package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.InstantSource;

/** The embedded SQLite store meets the store contract. */
class SqliteStoreContractTest extends StoreContractTest {

    @Override
    protected Store openStore(Path directory, InstantSource clock) {
        return TestStores.open(directory, clock);
    }
}
