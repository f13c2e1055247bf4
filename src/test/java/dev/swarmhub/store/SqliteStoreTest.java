package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest {

    @TempDir
    Path project;

    @Test
    void firstUseCreatesAWalDatabaseWithTheCurrentSchemaAndIgnoresItsDirectory() throws Exception {
        try (SqliteStore ignored = TestStores.sqlite(project)) {
            assertThat(Files.readString(project.resolve(".swarm/.gitignore")).lines()).contains("*");
        }
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             ResultSet mode = connection.createStatement().executeQuery("PRAGMA journal_mode")) {
            assertThat(mode.next()).isTrue();
            assertThat(mode.getString(1)).isEqualToIgnoringCase("wal");
        }
    }

    @Test
    void openingAPrivateStoreDoesNotWalkItsDirectory() throws IOException {
        TestStores.sqlite(project).close();
        Path gitignore = project.resolve(".swarm/.gitignore");
        Set<PosixFilePermission> ownerReadOnly = PosixFilePermissions.fromString("r--------");
        Files.setPosixFilePermissions(gitignore, ownerReadOnly); // stricter than 0600: a walk would reset it
        TestStores.sqlite(project).close();
        assertThat(Files.getPosixFilePermissions(gitignore)).isEqualTo(ownerReadOnly);

        Files.setPosixFilePermissions(project.resolve(".swarm"), PosixFilePermissions.fromString("rwxr-xr-x"));
        TestStores.sqlite(project).close();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(project.resolve(".swarm")))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(gitignore))).as("tightened with its loose directory")
                .isEqualTo("rw-------");
    }

    @Test
    void schemaVersionConstantIsTheNewestMigration() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration/sqlite"))) {
            int newest = files.map(file -> file.getFileName().toString())
                    .map(name -> Integer.parseInt(name.substring(1, name.indexOf("__"))))
                    .max(Integer::compare).orElseThrow();
            assertThat(SqliteStore.SCHEMA_VERSION).isEqualTo(Integer.toString(newest));
        }
    }

    /** An older swarm (this code) refuses a database a newer one migrated, rather than run on a schema it does not know. */
    @Test
    void aDatabaseANewerVersionMigratedIsRefusedNamingBothVersions() {
        TestStores.sqlite(project).close();
        Path database = project.resolve(".swarm/swarm.db").toAbsolutePath();
        String newer = TestStores.migrateAhead("jdbc:sqlite:" + database, null, null);
        assertThatThrownBy(() -> TestStores.sqlite(project)).isInstanceOfSatisfying(dev.swarmhub.kernel.SwarmException.class,
                refused -> assertThat(refused.getMessage()).isEqualTo("the database at " + database + " has schema version " + newer
                        + ", newer than this swarm's " + SqliteStore.SCHEMA_VERSION + ": upgrade swarm"));
    }

    @Test
    void aFailingWriteLeavesNothingBehind() {
        Resource file = Resource.ofCanonical("a.py");
        // the store clock at the epoch: fencing tokens then count grants only (no clock floor above them)
        try (SqliteStore store = TestStores.sqlite(project, InstantSource.fixed(Instant.EPOCH))) {
            assertThatThrownBy(() -> store.write(tx -> {
                LeaseStore.in(tx).insertLease(file, Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000);
                throw new IllegalStateException("fail after the insert");
            })).hasMessageContaining("fail after the insert");
            List<dev.swarmhub.leases.Lease> left = store.read(tx -> LeaseStore.in(tx).leases(null, true));
            assertThat(left).isEmpty();
            // the token used by the rolled-back write is handed out again: nothing of it was committed
            long next = store.write(tx -> LeaseStore.in(tx).nextFencingToken());
            assertThat(next).isEqualTo(1);
        }
    }

    /**
     * Commits leave copying the WAL into the database file to a thread of their own. The file
     * changes only by checkpoints, and here it grows after fewer pages than SQLite's own automatic
     * checkpoint (1,000 pages, in the commit that crosses it) would wait for.
     */
    @Test
    void checkpointsCopyCommitsIntoTheDatabaseFileBesideTheWriters() throws Exception {
        try (SqliteStore store = TestStores.sqlite(project)) {
            Path database = Path.of(store.location());
            long before = Files.size(database);
            int[] writes = {0};
            // each 64th commit starts a checkpoint beside the writer; one that found the WAL busy leaves it to the next
            Await.until("a checkpoint to copy the commits into " + database, () -> {
                if (writes[0] < 1_000) {
                    Resource file = Resource.ofCanonical("f" + writes[0]++ + ".py");
                    store.write(tx -> LeaseStore.in(tx).insertLease(file, Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "",
                            tx.now() + 60_000));
                }
                return database.toFile().length() > before;
            });
            List<dev.swarmhub.leases.Lease> written = store.read(tx -> LeaseStore.in(tx).leases(null, true));
            assertThat(written).hasSize(writes[0]);
            assertThat(writes[0]).as("commits before the file grew").isGreaterThanOrEqualTo(64);
        }
    }

    @Test
    void aStatementSQLiteRefusesFailsAloneAndRunsAgainAfterwards() {
        try (SqliteStore store = TestStores.sqlite(project)) {
            String unparsable = "\"unterminated\u0000"; // FTS5 stops at the NUL: "unterminated string"
            for (int round = 0; round < 3; round++) {
                assertThatThrownBy(() -> store.read(tx -> ftsMatch(tx, unparsable)))
                        .isInstanceOf(StoreException.class).hasMessageContaining("unterminated string");
                List<String> read = store.read(tx -> ftsMatch(tx, "\"word\""));
                assertThat(read).as("the same statement, read").isEmpty();
                assertThatThrownBy(() -> store.write(tx -> ftsMatch(tx, unparsable)))
                        .isInstanceOf(StoreException.class).hasMessageContaining("unterminated string");
                List<String> written = store.write(tx -> ftsMatch(tx, "\"word\""));
                assertThat(written).as("the same statement, written").isEmpty();
                int round0 = round;
                store.write(tx -> {
                    tx.putSetting("round", Integer.toString(round0));
                    return null;
                });
            }
            Optional<String> last = store.read(tx -> tx.setting("round"));
            assertThat(last).contains("2");
        }
    }

    @Test
    void aDuplicateKeyOrABadQueryFailsItsStatementButKeepsTheConnection() {
        try (SqliteStore store = TestStores.sqlite(project)) {
            Resource held = Resource.ofCanonical("held.py");
            store.write(tx -> {
                LeaseStore.in(tx).insertLease(held, Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000);
                return null;
            });
            List<String> found = store.read(tx -> ftsMatch(tx, "\"word\""));
            assertThat(found).isEmpty();
            int opened = store.connectionsOpened();
            for (int round = 0; round < 3; round++) {
                assertThatThrownBy(() -> store.write(tx -> {
                    LeaseStore.in(tx).insertLease(held, Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000); // (agent, resource) is unique
                    return null;
                })).isInstanceOf(StoreException.class).hasMessageContaining("UNIQUE constraint failed");
                assertThatThrownBy(() -> store.read(tx -> ftsMatch(tx, "\"unterminated\u0000")))
                        .isInstanceOf(StoreException.class).hasMessageContaining("unterminated string");
                int key = round;
                store.write(tx -> {
                    LeaseStore.in(tx).insertLease(Resource.ofCanonical("next-" + key + ".py"), Mode.EXCLUSIVE, "A", LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000);
                    return null;
                });
            }
            assertThat(store.connectionsOpened()).as("connections opened after the failures").isEqualTo(opened);
            List<dev.swarmhub.leases.Lease> leases = store.read(tx -> LeaseStore.in(tx).leases(null, true));
            assertThat(leases).extracting(lease -> lease.resource().text())
                    .containsExactlyInAnyOrder("held.py", "next-0.py", "next-1.py", "next-2.py");
        }
    }

    /**
     * Concurrent writes share commits; a failing one rolls back alone, the others of its batch
     * running again, isolated, at the transaction time of their first run (a clock that ticks at
     * every read tells a second reading apart): what a write decided by time decides the same.
     */
    @Test
    void concurrentWritesShareCommitsButAFailingOneRollsBackAloneTheOthersRunAgainAtTheSameTime() throws Exception {
        int threads = 16;
        int writesEach = 200;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicLong ticks = new java.util.concurrent.atomic.AtomicLong(1_900_000_000_000L);
        java.time.InstantSource ticking = () -> java.time.Instant.ofEpochMilli(ticks.incrementAndGet());
        Map<String, List<Long>> timesSeen = new java.util.concurrent.ConcurrentHashMap<>();
        try (SqliteStore store = TestStores.sqlite(project, ticking)) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    int failed = 0;
                    for (int n = 0; n < writesEach; n++) {
                        int i = n;
                        boolean fail = i % 7 == 3;
                        Resource file = Resource.ofCanonical("t" + thread + "/f" + i + ".py");
                        try {
                            store.write(tx -> {
                                timesSeen.computeIfAbsent(file.text(), run -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(tx.now());
                                LeaseStore.in(tx).insertLease(file, Mode.EXCLUSIVE, "A" + thread, LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000);
                                if (fail) {
                                    throw new IllegalStateException("write " + i + " of " + thread + " fails after its insert");
                                }
                                return null;
                            });
                            assertThat(fail).as("a failing write must throw to its caller").isFalse();
                        } catch (IllegalStateException expected) {
                            assertThat(fail).isTrue();
                            assertThat(expected).hasMessageContaining("write " + i + " of " + thread);
                            failed++;
                        }
                    }
                    return failed;
                }));
            }
            int failed = 0;
            for (Future<Integer> result : results) {
                failed += result.get();
            }
            List<dev.swarmhub.leases.Lease> kept = store.read(tx -> LeaseStore.in(tx).leases(null, true));
            assertThat(kept).hasSize(threads * writesEach - failed);
            assertThat(kept).noneMatch(lease -> Integer.parseInt(lease.resource().text().replaceAll(".*/f(\\d+)\\.py", "$1")) % 7 == 3);
            assertThat(kept.stream().map(dev.swarmhub.leases.Lease::token).distinct().count()).isEqualTo(kept.size());
            List<List<Long>> ranAgain = timesSeen.values().stream().filter(times -> times.size() > 1).toList();
            System.out.println("SqliteStoreTest: " + ranAgain.size() + " writes ran again in an isolated batch");
            assertThat(ranAgain).as("writes run again after another of their batch failed").isNotEmpty()
                    .allSatisfy(times -> assertThat(times).as("its transaction time at each run").containsOnly(times.getFirst()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void queuedWritersGetTheirOwnResultOnceEvenWhenInterruptedWhileWaiting() throws Exception {
        int writers = 12;
        // the store clock at the epoch: fencing tokens then count grants only (no clock floor above them)
        try (SqliteStore store = TestStores.sqlite(project, InstantSource.fixed(Instant.EPOCH))) {
            CountDownLatch leaderInside = new CountDownLatch(1);
            CountDownLatch releaseLeader = new CountDownLatch(1);
            Thread leader = Thread.ofPlatform().start(() -> store.write(tx -> {
                leaderInside.countDown();
                Await.openUnchecked(releaseLeader); // holds the write lock while the others queue
                return LeaseStore.in(tx).nextFencingToken();
            }));
            leaderInside.await();
            List<Thread> queued = new ArrayList<>();
            long[] results = new long[writers];
            boolean[] interruptKept = new boolean[writers];
            for (int i = 0; i < writers; i++) {
                int writer = i;
                queued.add(Thread.ofPlatform().start(() -> {
                    results[writer] = store.write(tx -> LeaseStore.in(tx).nextFencingToken());
                    interruptKept[writer] = Thread.currentThread().isInterrupted();
                }));
            }
            for (Thread thread : queued) {
                Await.until(thread.getName() + " to wait for the write lock", () -> thread.getState() == Thread.State.WAITING);
            }
            for (int i = 0; i < writers; i += 2) {
                queued.get(i).interrupt();
            }
            releaseLeader.countDown();
            leader.join();
            for (Thread thread : queued) {
                thread.join();
            }
            assertThat(results).as("each writer's own token, each once").doesNotHaveDuplicates().doesNotContain(0L);
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
                 ResultSet counter = connection.createStatement().executeQuery("SELECT value FROM counters WHERE name = 'fencing_token'")) {
                assertThat(counter.next()).isTrue();
                assertThat(counter.getLong(1)).as("tokens handed out: the leader's and one per writer").isEqualTo(writers + 1L);
            }
            for (int i = 0; i < writers; i++) {
                assertThat(interruptKept[i]).as("writer " + i + " keeps its interrupt").isEqualTo(i % 2 == 0);
            }
        }
    }

    @Test
    void moreConcurrentReadersThanPooledConnectionsAllSucceed() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (SqliteStore store = TestStores.sqlite(project)) {
            store.write(tx -> LeaseStore.in(tx).insertLease(Resource.ofCanonical("a.py"), Mode.SHARED, "A", LeaseStore.in(tx).nextFencingToken(), "", tx.now() + 60_000));
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                reads.add(pool.submit(() -> {
                    start.await();
                    int seen = 0;
                    for (int round = 0; round < 200; round++) {
                        seen += store.read(tx -> LeaseStore.in(tx).leases(null, false).size());
                    }
                    return seen;
                }));
            }
            for (Future<Integer> read : reads) {
                assertThat(read.get()).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The ids of messages whose text matches a raw FTS5 query: a statement that SQLite refuses at
     * run time for some parameters (the domain never passes query syntax down, so only a test can).
     */
    private static List<String> ftsMatch(Tx tx, String ftsQuery) {
        return ((JdbcTx) tx).query("SELECT id FROM messages_fts WHERE messages_fts MATCH ?", row -> row.getString(1), ftsQuery);
    }
}
