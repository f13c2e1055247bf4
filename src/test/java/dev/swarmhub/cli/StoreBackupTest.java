package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.swarmhub.hub.Hub;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.store.FileIdentity;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** swarm backup and restore: a consistent copy while the hub writes, and a restore that never loses the store it replaces. */
class StoreBackupTest {

    private static final String KIND = "test.backup-write";
    private static final int WRITERS = 8;

    @TempDir
    Path project;

    @TempDir
    Path elsewhere;

    private Hub hub;
    private CliRunner cli;

    @BeforeEach
    void sqliteProject() {
        assumeThat(TestStores.onPostgres()).as("these commands are for the SQLite store").isFalse();
        cli = new CliRunner(project);
        cli.operatorToken(); // the store made
    }

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.close();
        }
    }

    private void startHub() {
        hub = Hub.start(project, services -> (args, env, cwd, out, err) -> Swarm.run(args, env, cwd, out, err, services), Hub.Address.LOOPBACK);
    }

    private Path database() {
        return project.resolve(".swarm/swarm.db");
    }

    /** The ids of the test's writes in a SQLite database file. */
    private static Set<String> writesIn(Path database) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT resource FROM events WHERE kind = '" + KIND + "'")) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        }
        return ids;
    }

    @Test
    void aBackupTakenWhileThreadsWriteRestoresEveryWriteAcknowledgedBeforeItStarted() throws Exception {
        startHub();
        Store store = hub.services().store;
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        String id = writer + "-" + i;
                        store.write(tx -> {
                            tx.appendEvent(KIND, null, id, Map.of());
                            return null;
                        });
                        acknowledged.add(id); // only once its commit returned
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            }));
        }
        Path backup = elsewhere.resolve("swarm-backup.db");
        CliRunner.Result backedUp;
        Set<String> beforeTheBackup;
        try {
            Await.until("writes under way", () -> acknowledged.size() >= 200 || failed.get() != null);
            beforeTheBackup = Set.copyOf(acknowledged);
            backedUp = cli.run("backup", backup.toString(), "--json");
        } finally {
            stop.set(true);
            for (Thread writer : writers) {
                writer.join();
            }
        }
        assertThat(failed.get()).isNull();
        assertThat(backedUp.exitCode()).as(backedUp.err()).isZero();
        assertThat(backedUp.json().get("file").asString()).isEqualTo(backup.toString());
        assertThat(Files.getPosixFilePermissions(backup)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(elsewhere.toFile().list()).as("no draft left").containsExactly("swarm-backup.db");
        Set<String> everyWrite = Set.copyOf(acknowledged);
        hub.close();
        hub = null;

        CliRunner.Result restored = cli.run("restore", backup.toString(), "--json");

        assertThat(restored.exitCode()).as(restored.err()).isZero();
        Set<String> inRestored = writesIn(database());
        assertThat(inRestored).as("every write acknowledged before the backup started").containsAll(beforeTheBackup);
        assertThat(everyWrite).as("and only writes that were made").containsAll(inRestored);
        CliRunner.Result doctor = cli.run("doctor", "--full", "--json");
        assertThat(doctor.json().get("checks").get(0).get("status").asString()).as(doctor.out()).isEqualTo("ok");
        Path replaced = Path.of(restored.json().get("replaced").asString());
        assertThat(replaced.getFileName().toString()).startsWith("swarm.db.replaced-");
        assertThat(writesIn(replaced)).as("the replaced store is kept whole, its log folded in").isEqualTo(everyWrite);
        CliRunner.Result afterwards = cli.run("config");
        assertThat(afterwards.exitCode()).as("the restored store opens: " + afterwards.err()).isZero();
    }

    @Test
    void restoreIsRefusedWhileAHubServesTheProject() throws Exception {
        Path backup = elsewhere.resolve("b.db");
        assertThat(cli.run("backup", backup.toString()).exitCode()).isZero();
        startHub();
        Object storeFile = FileIdentity.of(database());

        CliRunner.Result refused = cli.run("restore", backup.toString());

        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).contains("a hub serves", "pid " + ProcessHandle.current().pid(), "swarm down");
        assertThat(FileIdentity.of(database())).as("the store is the one the hub opened").isEqualTo(storeFile);
        assertThat(sideFiles()).isEmpty();
    }

    @Test
    void restoringWhatIsNoIntactSwarmhubStoreIsRefusedAndTheStoreStaysAsItWas() throws Exception {
        byte[] store = Files.readAllBytes(database());
        List<String> swarmFiles = List.of(project.resolve(".swarm").toFile().list());
        Path text = Files.writeString(elsewhere.resolve("notes.txt"), "not a database\n".repeat(20));
        Path otherDatabase = elsewhere.resolve("other.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + otherDatabase); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE notes (text TEXT)");
        }
        Path damaged = elsewhere.resolve("damaged.db");
        assertThat(cli.run("backup", damaged.toString()).exitCode()).isZero();
        try (RandomAccessFile file = new RandomAccessFile(damaged.toFile(), "rw")) {
            byte[] garbage = new byte[(int) file.length() - 2 * 4096];
            Arrays.fill(garbage, (byte) 0x5A);
            file.seek(2 * 4096); // past the header and the first pages: SQLite opens it, its check finds the rest damaged
            file.write(garbage);
        }

        Map<Path, String> refusals = Map.of(text, "is not a SQLite database", otherDatabase, "not a Swarmhub store",
                damaged, "fails SQLite's integrity check", elsewhere.resolve("missing.db"), "is not a file", database(), "the project's store itself");
        for (Map.Entry<Path, String> refusal : refusals.entrySet()) {
            CliRunner.Result refused = cli.run("restore", refusal.getKey().toString());
            assertThat(refused.exitCode()).as(refusal.getKey() + ": " + refused.err()).isEqualTo(2);
            assertThat(refused.err()).as(refusal.getKey().toString()).contains(refusal.getValue());
            assertThat(Files.readAllBytes(database())).as("the store is untouched").isEqualTo(store);
            assertThat(Stream.of(project.resolve(".swarm").toFile().list()).filter(name -> !name.equals("hub.lock")))
                    .as("no draft or side file left (the hub lock kept hubs out meanwhile)").containsExactlyInAnyOrderElementsOf(swarmFiles);
        }
    }

    @Test
    void aBackupReplacesAnExistingFileOnlyWhenForcedAndNeverTheStoreItself() throws Exception {
        Path existing = Files.writeString(elsewhere.resolve("kept.db"), "someone's file\n");

        CliRunner.Result refused = cli.run("backup", existing.toString());
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains(existing.toString(), "exists", "--force");
        assertThat(Files.readString(existing)).isEqualTo("someone's file\n");

        CliRunner.Result forced = cli.run("backup", existing.toString(), "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(Files.readAllBytes(existing)).startsWith("SQLite format 3\0".getBytes());
        assertThat(Files.getPosixFilePermissions(existing)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        for (String onTheStore : new String[] {".swarm/swarm.db", ".swarm/swarm.db-wal"}) {
            CliRunner.Result ontoStore = cli.run("backup", onTheStore, "--force");
            assertThat(ontoStore.exitCode()).as(onTheStore).isEqualTo(2);
            assertThat(ontoStore.err()).contains("the project's store itself");
        }
        CliRunner.Result noDirectory = cli.run("backup", elsewhere.resolve("no/such/dir/b.db").toString());
        assertThat(noDirectory.exitCode()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("is not a directory");
    }

    @Test
    void aPostgresqlStoreIsPointedToItsOwnTools(@TempDir Path shared) throws IOException {
        Files.createDirectories(shared.resolve(".swarm"));
        Files.writeString(shared.resolve(".swarm/config"), "store = postgresql://swarm@127.0.0.1:1/swarm\n"); // never reached
        CliRunner onPostgres = new CliRunner(shared);
        CliRunner.Result backup = onPostgres.run("backup", elsewhere.resolve("b.db").toString());
        assertThat(backup.exitCode()).isEqualTo(2);
        assertThat(backup.err()).contains("PostgreSQL", "for the SQLite store", "pg_dump");
        CliRunner.Result restore = onPostgres.run("restore", elsewhere.resolve("b.db").toString());
        assertThat(restore.exitCode()).isEqualTo(2);
        assertThat(restore.err()).contains("pg_restore");
    }

    private List<Path> sideFiles() throws IOException {
        try (Stream<Path> files = Files.list(project.resolve(".swarm"))) {
            return files.filter(file -> file.getFileName().toString().contains(".replaced-")).toList();
        }
    }
}
