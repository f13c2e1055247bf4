package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.MessageSecret;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message-signing secret lives in the store: two checkouts of one shared store (two hubs)
 * sign alike, and a project from before keeps its .swarm/secret, so its old signatures verify.
 */
class SigningSecretTest {

    @TempDir
    Path work;

    @Test
    void theSecretIsMadeOnceInTheStoreAndNoFileIsMade() throws Exception {
        Path project = Files.createDirectories(work.resolve("project"));
        TestStores.prepare(project);
        String first;
        try (Services services = Services.open(project)) {
            first = services.store.read(tx -> tx.setting(Services.SIGNING_SECRET)).orElseThrow();
            assertThat(HexFormat.of().parseHex(first)).hasSize(32);
        }
        try (Services again = Services.open(project)) {
            java.util.Optional<String> reopened = again.store.read(tx -> tx.setting(Services.SIGNING_SECRET));
            assertThat(reopened).as("the same, opened again").contains(first);
        }
        assertThat(MessageSecret.file(project)).doesNotExist();
    }

    @Test
    void aProjectFromBeforeKeepsItsSecret() throws Exception {
        Path project = Files.createDirectories(work.resolve("old"));
        Files.createDirectories(project.resolve(".swarm"));
        String old = MessageSecret.generate();
        Files.writeString(MessageSecret.file(project), old + "\n");
        TestStores.prepare(project);
        try (Services services = Services.open(project)) {
            String stored = services.store.read(tx -> tx.setting(Services.SIGNING_SECRET)).orElseThrow();
            assertThat(stored).isEqualTo(old);
            assertThat(HexFormat.of().parseHex(stored)).hasSize(32);
        }
        try (Store store = TestStores.open(project)) {
            java.util.Optional<String> kept = store.read(tx -> tx.setting(Services.SIGNING_SECRET));
            assertThat(kept).as("kept in the store").contains(old);
        }
    }
}
