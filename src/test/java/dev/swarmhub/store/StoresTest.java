package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.testing.PostgresServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and opening a project's store: by the configuration and the environment it is given, never another. */
class StoresTest {

    @Test
    void aPostgresStoreLogsInWithThePasswordOfTheEnvironmentItIsGiven(@TempDir Path project) {
        PostgresAddress database = PostgresServer.shared().newAddress();
        assertThat(System.getenv("PGPASSWORD")).as("this process's own environment holds no password").isNull();
        Stores.Config config = Stores.Config.of(project, Map.of("SWARM_STORE", database.toString(), "PGPASSWORD", database.password(),
                "UNRELATED", "kept out"));
        assertThat(config.environment()).containsOnlyKeys("PGPASSWORD");
        assertThat(config.toString()).doesNotContain(database.password());
        try (Store store = Stores.open(project, config)) {
            assertThat(store.read(Tx::now)).isPositive();
        }
        assertThat(project.resolve(".swarm/.gitignore")).as("the project's state is kept out of git whichever the store")
                .content().contains("*");
    }
}
