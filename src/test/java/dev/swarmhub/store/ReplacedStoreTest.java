package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store whose .swarm/ was wiped under it (git clean -fdX) and the store created in its place. */
class ReplacedStoreTest {

    @TempDir
    Path project;

    private final AtomicLong millis = new AtomicLong(Instant.parse("2026-12-01T10:00:00Z").toEpochMilli());
    private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());

    @Test
    void aStoreWhoseFileWasDeletedCommitsNothingAndItsSuccessorGrantsLargerTokens() throws IOException {
        Path database = project.resolve(".swarm/swarm.db");
        try (SqliteStore old = TestStores.sqlite(project, clock)) {
            long[] oldTokens = new long[50];
            for (int i = 0; i < oldTokens.length; i++) {
                oldTokens[i] = old.write(tx -> LeaseStore.in(tx).nextFencingToken()); // many grants in one millisecond
            }
            deleteRecursively(project.resolve(".swarm"));
            millis.incrementAndGet();
            try (SqliteStore fresh = TestStores.sqlite(project, clock)) {
                assertThatThrownBy(() -> old.write(tx -> LeaseStore.in(tx).nextFencingToken())).isInstanceOf(StoreException.class)
                        .hasMessageContaining("was deleted or replaced");
                long freshToken = fresh.write(tx -> LeaseStore.in(tx).nextFencingToken());
                assertThat(freshToken).as("the new store's first token").isGreaterThan(oldTokens[oldTokens.length - 1]);
                long next = fresh.write(tx -> LeaseStore.in(tx).nextFencingToken());
                assertThat(next).isGreaterThan(freshToken);
            }
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
