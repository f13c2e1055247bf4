package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.cli.CliWorker;
import dev.swarmhub.host.FencedFiles;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the project lives on a 4 MB tmpfs (tests run as root; skipped where mounting
 * is not permitted). A write that finds no space fails alone and says so; once space is freed,
 * this store and other processes write again, and nothing acknowledged before is lost. Choosing a
 * store there fails and leaves the configuration as it was.
 */
class FullDiskTest {

    private static final int ACKNOWLEDGED = 20;

    @TempDir
    Path scratch;
    private Path project;
    private boolean mounted;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        project = Files.createDirectories(scratch.resolve("project"));
        mounted = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", project.toString()) == 0;
        assumeTrue(mounted, "mounting a tmpfs is not permitted here");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", project.toString());
        }
    }

    @Test
    void aWriteOnAFullDiskFailsAloneAndWritesSucceedOnceSpaceIsFreed() throws Exception {
        try (SqliteStore store = TestStores.sqlite(project)) {
            for (int i = 0; i < ACKNOWLEDGED; i++) {
                put(store, "acknowledged-" + i, "value-" + i);
            }
            Path filler = project.resolve("filler");
            fillTheDisk(filler);

            String larger = "x".repeat(1 << 20);
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> put(store, "larger", larger)).isInstanceOf(StoreException.class)
                        .hasMessageContaining("the disk holding the store").hasMessageContaining("is full")
                        .extracting(failure -> ((SwarmException) failure).kind()).as("a condition to retry after, not a fault of the hub")
                        .isEqualTo(SwarmException.Kind.UNAVAILABLE);
            }

            Files.delete(filler);
            try (JavaProcess other = JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", project.toString()),
                    scratch.resolve("other.err"))) {
                assertThat(other.receive()).isEqualTo("ready");
                other.send(String.join("\t", "agent", "register", "--id", "other", "--json"));
                assertThat(other.receive()).as("another process writes: no write lock was left behind").startsWith("0\t");
            }
            put(store, "after", "space freed");
        }
        try (SqliteStore reopened = TestStores.sqlite(project)) {
            for (int i = 0; i < ACKNOWLEDGED; i++) {
                String name = "acknowledged-" + i;
                assertThat(setting(reopened, name)).contains("value-" + i);
            }
            assertThat(setting(reopened, "larger")).isEmpty();
            assertThat(setting(reopened, "after")).contains("space freed");
            Optional<Agent> registeredMeanwhile = reopened.read(tx -> AgentStore.in(tx).agent("other"));
            assertThat(registeredMeanwhile).isPresent();
        }
    }

    @Test
    void choosingAStoreOnAFullDiskChangesNothing() throws Exception {
        Stores.choose(project, "sqlite", null);
        Path swarm = project.resolve(".swarm");
        String chosen = Files.readString(swarm.resolve(Stores.CONFIG_FILE));
        fillTheDisk(project.resolve("filler"));
        assertThatThrownBy(() -> Stores.choose(project, "postgresql://swarm@db.example/swarm", null)).isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot write");
        assertThat(Files.readString(swarm.resolve(Stores.CONFIG_FILE))).isEqualTo(chosen);
        try (Stream<Path> files = Files.list(swarm)) {
            assertThat(files.map(file -> file.getFileName().toString())).as("no draft left behind").containsExactlyInAnyOrder(Stores.CONFIG_FILE, ".gitignore");
        }
    }

    /**
     * The disk fills between a fenced write's staging and its transaction: the file is renamed in
     * place, then the store cannot record it. The old file is back when the caller hears "nothing
     * stored" (the fault runner saw the new file with no record), and nothing is left beside it.
     */
    @Test
    void aFencedWriteTheStoreCannotRecordOnAFullDiskLeavesTheFileAsItWas() throws Exception {
        Files.writeString(project.resolve("app.py"), "old\n");
        try (SqliteStore store = TestStores.sqlite(project)) {
            put(store, "before", "the store's files exist");
            try (Fencing.StagedWrite staged = new FencedFiles(project).stage(Resource.ofCanonical("app.py"), "new\n", Fencing.Turn.WAIT)) {
                fillTheDisk(project.resolve("filler"));
                assertThatThrownBy(() -> store.write(tx -> {
                    staged.putInPlace(tx);
                    tx.putSetting("record", "x".repeat(1 << 20)); // as the write's event, on a disk with no room for it
                    return null;
                })).isInstanceOf(StoreException.class).hasMessageContaining("is full, so nothing of this operation was stored");
            }
            assertThat(Files.readString(project.resolve("app.py"))).isEqualTo("old\n");
            try (Stream<Path> files = Files.list(project)) {
                assertThat(files.map(file -> file.getFileName().toString())).as("no draft, no old file left")
                        .containsExactlyInAnyOrder("app.py", "filler", ".swarm");
            }
        }
    }

    @Test
    void aFencedWriteThatFindsNoRoomToStageSaysSoAndLeavesTheFile() throws Exception {
        Files.writeString(project.resolve("app.py"), "old\n");
        fillTheDisk(project.resolve("filler"));
        assertThatThrownBy(() -> new FencedFiles(project).stage(Resource.ofCanonical("app.py"), "new\n".repeat(1 << 16), Fencing.Turn.WAIT).close())
                .isInstanceOf(SwarmException.class).hasMessageContaining("the disk is full; the file was left as it was")
                .extracting(failure -> ((SwarmException) failure).kind()).isEqualTo(SwarmException.Kind.UNAVAILABLE);
        assertThat(Files.readString(project.resolve("app.py"))).isEqualTo("old\n");
        try (Stream<Path> files = Files.list(project)) {
            assertThat(files.map(file -> file.getFileName().toString())).as("no draft left (.swarm: the writers' lock files)")
                    .containsExactlyInAnyOrder("app.py", "filler", ".swarm");
        }
    }

    private static void put(SqliteStore store, String name, String value) {
        store.write(tx -> {
            tx.putSetting(name, value);
            return null;
        });
    }

    private static Optional<String> setting(SqliteStore store, String name) {
        return store.read(tx -> tx.setting(name));
    }

    private static void fillTheDisk(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException noSpaceLeft) {
            assertThat(noSpaceLeft).hasMessageContaining("No space left");
        }
    }

    private static int run(String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
