package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.store.SqliteStore;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fenced write's file goes with the store's transaction: put in place when it commits, the old
 * file back when it does not (a failed commit, a hub cut off from the database mid-write), again
 * when the store runs it again; and nothing left beside the file, not even by a writer killed
 * mid-write.
 */
class FencedFilesTest {

    private static final Resource FILE = Resource.ofCanonical("src/app.py");

    @TempDir
    Path project;

    private Store store;
    private FencedFiles files;

    @BeforeEach
    void openStore() throws IOException {
        Files.createDirectories(project.resolve("src"));
        Files.writeString(project.resolve("src/app.py"), "old\n");
        store = TestStores.open(project);
        files = new FencedFiles(project);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void aWriteWhoseTransactionRollsBackLeavesTheOldFileAndRunsAgainWhenTheStoreRetriesIt() throws IOException {
        try (Fencing.StagedWrite staged = files.stage(FILE, "new\n", Fencing.Turn.WAIT)) {
            assertThatThrownBy(() -> store.write(tx -> {
                staged.putInPlace(tx);
                assertThat(read()).as("in place inside the transaction").isEqualTo("new\n");
                throw new IllegalStateException("the commit failed");
            })).hasMessage("the commit failed");
            assertThat(read()).as("the old file, back").isEqualTo("old\n");

            store.write(tx -> { // the store runs the same write again
                staged.putInPlace(tx);
                return null;
            });
            assertThat(read()).isEqualTo("new\n");
        }
        assertThat(beside()).as("no draft, no old file kept").containsExactly("app.py");
    }

    @Test
    void aWriteJoiningATransactionThatFailsAfterItReturnedIsTakenBack() throws IOException {
        Files.writeString(project.resolve("src/other.py"), "other\n");
        assertThatThrownBy(() -> store.write(outer -> {
            try (Fencing.StagedWrite staged = files.stage(FILE, "new\n", Fencing.Turn.WAIT); Fencing.StagedWrite created = files.stage(Resource.ofCanonical(
                    "src/created.py"), "created\n", Fencing.Turn.WAIT)) {
                staged.putInPlace(outer);
                created.putInPlace(outer);
            }
            throw new IllegalStateException("the answer could not be stored");
        })).hasMessage("the answer could not be stored");
        assertThat(read()).isEqualTo("old\n");
        assertThat(beside()).as("the created file removed, nothing else left").containsExactly("app.py", "other.py");
    }

    @Test
    void aWriteStagedBeforeAnotherCreatedTheFileKeepsThatFileWhenItIsTakenBack() throws IOException {
        Resource created = Resource.ofCanonical("src/created.py");
        try (Fencing.StagedWrite first = files.stage(created, "first\n", Fencing.Turn.WAIT); Fencing.StagedWrite second = files.stage(created, "second\n", Fencing.Turn.WAIT)) {
            store.write(tx -> {
                second.putInPlace(tx);
                return null;
            });
            assertThatThrownBy(() -> store.write(tx -> {
                first.putInPlace(tx);
                throw new IllegalStateException("the commit failed");
            })).hasMessage("the commit failed");
        }
        assertThat(Files.readString(project.resolve("src/created.py"))).as("the committed write, kept").isEqualTo("second\n");
        assertThat(beside()).containsExactly("app.py", "created.py");
    }

    @Test
    void draftsAndOldFilesOfAWriterThatDiedAreRemovedByTheNextWriteThere() throws IOException {
        long noSuchProcess = Long.MAX_VALUE;
        long alive = ProcessHandle.current().pid();
        Path src = project.resolve("src");
        Files.writeString(src.resolve(".app.py." + noSuchProcess + ".1f2e3d4c.swarm-write"), "a dead writer's draft");
        Files.writeString(src.resolve(".app.py." + noSuchProcess + ".5a6b7c8d.swarm-previous"), "a dead writer's old file");
        Files.writeString(src.resolve(".app.py." + alive + ".0a0b0c0d.swarm-write"), "a live writer's draft");
        Files.writeString(src.resolve(".notes.swarm-write"), "not named by a writer");

        try (Fencing.StagedWrite staged = files.stage(FILE, "new\n", Fencing.Turn.WAIT)) {
            store.write(tx -> {
                staged.putInPlace(tx);
                return null;
            });
        }
        assertThat(read()).isEqualTo("new\n");
        assertThat(beside()).containsExactly(".app.py." + alive + ".0a0b0c0d.swarm-write", ".notes.swarm-write", "app.py");
    }

    /**
     * Two writes of one file share a batch (queued behind a third that holds the write lock) whose
     * commit fails: both are taken back, the latest first, so the file is the one before either.
     */
    @Test
    void twoWritesOfOneFileInABatchThatFailsToCommitLeaveTheFileAsBeforeBoth() throws Exception {
        store.close();
        Path database = project.resolve(".swarm/swarm.db");
        try (SqliteStore sqlite = TestStores.sqlite(project); Fencing.StagedWrite first = files.stage(FILE, "first\n", Fencing.Turn.WAIT);
             Fencing.StagedWrite second = files.stage(FILE, "second\n", Fencing.Turn.WAIT)) {
            CountDownLatch holderInside = new CountDownLatch(1);
            CountDownLatch releaseHolder = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> sqlite.write(tx -> {
                holderInside.countDown();
                Await.openUnchecked(releaseHolder); // holds the write lock while the two queue behind it
                return null;
            }));
            holderInside.await();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread firstWriter = queueWrite(sqlite, tx -> first.putInPlace(tx), failures);
            Thread secondWriter = queueWrite(sqlite, tx -> {
                second.putInPlace(tx);
                replace(database); // the store's file replaced under it: the batch's commit is refused
            }, failures);
            releaseHolder.countDown();
            holder.join();
            firstWriter.join();
            secondWriter.join();
            assertThat(failures).as("both writes refused, in one batch").hasSize(2)
                    .allSatisfy(failure -> assertThat(failure).hasMessageContaining("deleted or replaced"));
        }
        assertThat(read()).as("the file before both writes").isEqualTo("old\n");
        store = TestStores.open(project);
    }

    private static Thread queueWrite(SqliteStore sqlite, java.util.function.Consumer<dev.swarmhub.kernel.Tx> work, List<Throwable> failures) {
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                sqlite.write(tx -> {
                    work.accept(tx);
                    return null;
                });
            } catch (RuntimeException refused) {
                failures.add(refused);
            }
        });
        Await.until("a writer to wait for the write lock", () -> writer.getState() == Thread.State.WAITING);
        return writer;
    }

    private static void replace(Path file) {
        try {
            Path moved = file.resolveSibling(file.getFileName() + ".moved");
            Files.move(file, moved);
            Files.copy(moved, file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Another process mid-write holds the file (its write may be taken back, and must not undo a
     * later one): a write that may not wait is refused at once, naming the file; the holder killed,
     * its hold goes with it and the next write goes ahead.
     */
    @Test
    void aWriterInAnotherProcessHoldsTheFileUntilItEnds() throws Exception {
        try (JavaProcess holder = JavaProcess.start(StagedWriteHolder.class, Map.of(), project.resolve("holder.err"), project.toString(), FILE.text())) {
            assertThat(holder.receive()).isEqualTo("staged");
            assertThatThrownBy(() -> files.stage(FILE, "refused\n", Fencing.Turn.NO_WAIT)).isInstanceOfSatisfying(SwarmException.class,
                    refused -> assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAVAILABLE))
                    .hasMessageContaining("another write of src/app.py").hasMessageContaining("is in progress");
            assertThat(read()).isEqualTo("old\n");
            holder.kill();
        }
        try (Fencing.StagedWrite staged = files.stage(FILE, "new\n", Fencing.Turn.NO_WAIT)) {
            store.write(tx -> {
                staged.putInPlace(tx);
                return null;
            });
        }
        assertThat(read()).isEqualTo("new\n");
    }

    /** The file's directory swapped for a link elsewhere between staging and the write: the write fails, nothing changes there or here. */
    @Test
    void aDirectorySwappedForALinkDuringTheWriteFailsItAndLeavesBothPlacesAsTheyWere() throws IOException {
        Path elsewhere = Files.createTempDirectory(project.getParent(), "elsewhere");
        Files.writeString(elsewhere.resolve("app.py"), "outside\n");
        try (Fencing.StagedWrite staged = files.stage(FILE, "new\n", Fencing.Turn.WAIT)) {
            Files.move(project.resolve("src"), project.resolve("src-moved"));
            Files.createSymbolicLink(project.resolve("src"), elsewhere);
            assertThatThrownBy(() -> store.write(tx -> {
                staged.putInPlace(tx);
                return null;
            })).isInstanceOf(SwarmException.class).hasMessageContaining("was replaced during the write");
        }
        assertThat(Files.readString(elsewhere.resolve("app.py"))).isEqualTo("outside\n");
        assertThat(Files.readString(project.resolve("src-moved/app.py"))).isEqualTo("old\n");
        try (Stream<Path> listed = Files.list(elsewhere)) {
            assertThat(listed.map(file -> file.getFileName().toString()).toList()).as("no link left elsewhere").containsExactly("app.py");
        }
        try (Stream<Path> listed = Files.list(project.resolve("src-moved"))) {
            assertThat(listed.map(file -> file.getFileName().toString()).toList()).as("no draft left").containsExactly("app.py");
        }
    }

    /**
     * A writer killed after putting its content in place, before its transaction ended (its client
     * never answered): the next write in the directory, of any file, puts the kept old file back,
     * the last one a write was acknowledged for; a kept file that is still the file (killed before
     * its rename) is only removed.
     */
    @Test
    void theOldFileKeptByAWriterKilledMidWriteIsPutBackByTheNextWriteThere() throws IOException {
        long noSuchProcess = Long.MAX_VALUE;
        Path src = project.resolve("src");
        Files.writeString(src.resolve(".app.py." + noSuchProcess + ".5a6b7c8d.swarm-previous"), "acknowledged\n");
        Files.writeString(src.resolve("app.py"), "never committed\n");
        Files.writeString(src.resolve("kept.py"), "kept\n");
        Files.createLink(src.resolve(".kept.py." + noSuchProcess + ".0f0e0d0c.swarm-previous"), src.resolve("kept.py"));

        try (Fencing.StagedWrite staged = files.stage(Resource.ofCanonical("src/other.py"), "other\n", Fencing.Turn.WAIT)) {
            store.write(tx -> {
                staged.putInPlace(tx);
                return null;
            });
        }
        assertThat(read()).isEqualTo("acknowledged\n");
        assertThat(Files.readString(src.resolve("kept.py"))).isEqualTo("kept\n");
        assertThat(beside()).containsExactly("app.py", "kept.py", "other.py");
    }

    @Test
    void aLinkIsNeitherWrittenThroughNorReplaced() throws IOException {
        Path elsewhere = Files.createTempDirectory(project.getParent(), "elsewhere");
        Files.writeString(elsewhere.resolve("target.py"), "outside\n");
        Files.createSymbolicLink(project.resolve("src/link.py"), elsewhere.resolve("target.py"));
        Files.createSymbolicLink(project.resolve("linked"), elsewhere);

        assertThatThrownBy(() -> files.stage(Resource.ofCanonical("src/link.py"), "new\n", Fencing.Turn.WAIT)).isInstanceOf(SwarmException.class)
                .hasMessageContaining("src/link.py is not a regular file");
        assertThatThrownBy(() -> files.stage(Resource.ofCanonical("linked/target.py"), "new\n", Fencing.Turn.WAIT)).isInstanceOf(SwarmException.class)
                .hasMessageContaining("goes through a link (linked)");
        assertThat(Files.readString(elsewhere.resolve("target.py"))).isEqualTo("outside\n");
        try (Stream<Path> listed = Files.list(elsewhere)) {
            assertThat(listed.map(file -> file.getFileName().toString()).toList()).containsExactly("target.py");
        }
    }

    private String read() {
        try {
            return Files.readString(project.resolve("src/app.py"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private List<String> beside() throws IOException {
        try (Stream<Path> listed = Files.list(project.resolve("src"))) {
            return listed.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
