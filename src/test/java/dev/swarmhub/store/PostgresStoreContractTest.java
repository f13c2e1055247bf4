package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.PostgresServer;
import java.nio.file.Path;
import java.time.InstantSource;

/** The PostgreSQL store meets the store contract: each test on a new database of the test cluster. */
class PostgresStoreContractTest extends StoreContractTest {

    @Override
    protected Store openStore(Path directory, InstantSource clock) {
        return PostgresStore.open(PostgresServer.shared().newAddress(), clock);
    }
}
