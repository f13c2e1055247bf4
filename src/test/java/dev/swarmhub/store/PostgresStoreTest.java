package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.host.FencedFiles;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TestStores;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the PostgreSQL store does: two stores on one database (two hubs) wake each other by
 * LISTEN/NOTIFY, also after the listening connection was lost or went silent; closing ends the
 * listener whatever it is doing; writers queued behind a write leave the pool to readers; the
 * store clock is the database's; the password never shows in messages.
 */
class PostgresStoreTest {

    private static final String LISTENERS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'swarmhub listener'"
            + " AND datname = current_database()";
    private static final String END_LISTENERS = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            + " WHERE application_name = 'swarmhub listener' AND datname = current_database()";

    /**
     * A hub that stops mid-write (paused, cut off) holds the write lock only until the database
     * ends its idle transaction: the other hubs' writes go on, and the stopped write fails, stored
     * nothing, instead of committing later; what it did outside the store is taken back.
     */
    @Test
    void aWriteLeftIdleLosesTheWriteLockAfterItsLimitAndStoresNothing() throws Exception {
        PostgresAddress address = PostgresServer.shared().newAddress();
        try (Store paused = PostgresStore.open(address, null, Duration.ofSeconds(1)); Store other = PostgresStore.open(address, null);
             ExecutorService hubs = Executors.newCachedThreadPool()) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            List<Boolean> settled = new CopyOnWriteArrayList<>();
            CompletableFuture<Object> stopped = CompletableFuture.supplyAsync(() -> {
                try {
                    return paused.write(tx -> {
                        tx.putSetting("written-by", "the paused hub");
                        tx.enlist(settled::add); // as a fenced write's file put in place
                        holding.countDown();
                        try {
                            resume.await(); // the hub stops here, inside its write
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return "committed";
                    });
                } catch (RuntimeException failed) {
                    return failed;
                }
            }, hubs);
            holding.await();
            CompletableFuture.runAsync(() -> other.write(tx -> { // blocks until the database ends the idle write
                tx.putSetting("written-by", "another hub");
                return null;
            }), hubs).get(60, TimeUnit.SECONDS); // without the limit it blocks for as long as the paused write is held
            resume.countDown();
            assertThat(stopped.get()).as("the idle write's outcome").isInstanceOf(SwarmException.class);
            assertThat(settled).as("its effect outside the store, taken back").containsExactly(false);
            assertThat(other.read(tx -> tx.setting("written-by")).orElseThrow()).isEqualTo("another hub");
        }
    }

    /**
     * A fenced write paused after putting its file in place, past the idle limit: the database
     * ends its session, so the store's lock no longer keeps the next writer out. The file's own
     * hold does, until the paused write has taken its file back: the next writer's write is not
     * undone by that take-back (it was: the kept old file renamed over an acknowledged write).
     */
    @Test
    void aFencedWritePausedPastTheIdleLimitHoldsItsFileUntilTakenBackSoTheNextWriteStays(@TempDir Path project) throws Exception {
        Files.writeString(project.resolve("app.py"), "old\n");
        Resource file = Resource.ofCanonical("app.py");
        PostgresAddress address = PostgresServer.shared().newAddress();
        try (Store paused = PostgresStore.open(address, null, Duration.ofSeconds(1)); Store other = PostgresStore.open(address, null);
             ExecutorService hubs = Executors.newCachedThreadPool()) {
            CountDownLatch inPlace = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            Future<Object> first = hubs.submit(() -> {
                try (Fencing.StagedWrite staged = new FencedFiles(project).stage(file, "first\n", Fencing.Turn.WAIT)) {
                    return paused.write(tx -> {
                        staged.putInPlace(tx);
                        inPlace.countDown();
                        awaitQuietly(resume); // the writer stops here, its file in place
                        return "committed";
                    });
                } catch (RuntimeException failed) {
                    return failed;
                }
            });
            inPlace.await();
            other.write(tx -> { // blocks until the database ends the paused write's session
                tx.putSetting("written-by", "another hub");
                return null;
            });
            FencedFiles otherHub = new FencedFiles(project);
            assertThatThrownBy(() -> otherHub.stage(file, "second\n", Fencing.Turn.NO_WAIT)).as("the file still held by the paused writer")
                    .isInstanceOf(SwarmException.class).hasMessageContaining("another write of app.py");

            Future<Object> second = hubs.submit(() -> {
                try (Fencing.StagedWrite staged = otherHub.stage(file, "second\n", Fencing.Turn.WAIT)) { // waits for the paused writer
                    return other.write(tx -> {
                        staged.putInPlace(tx);
                        return "committed";
                    });
                }
            });
            resume.countDown();
            assertThat(first.get()).as("the paused write's outcome").isInstanceOf(SwarmException.class);
            assertThat(second.get()).isEqualTo("committed");
            assertThat(Files.readString(project.resolve("app.py"))).as("the acknowledged write, kept").isEqualTo("second\n");
        }
    }

    @Test
    void aCommitOnOneStoreWakesTheOtherAndAfterALostListenerTheOtherLooksAgain() throws Exception {
        PostgresAddress address = PostgresServer.shared().newAddress();
        try (Store a = PostgresStore.open(address, null); Store b = PostgresStore.open(address, null); Connection admin = connect(address)) {
            long seen = b.signalCount(Store.Signal.FREED);
            long mailSeen = b.signalCount(Store.Signal.MAIL);
            a.write(tx -> {
                tx.appendEvent("lease.released", "A", "a.py", Map.of());
                return null;
            });
            b.awaitSignal(Store.Signal.FREED, seen, 30_000);
            assertThat(b.signalCount(Store.Signal.FREED)).as("woken by the other store's commit").isGreaterThan(seen);
            assertThat(b.signalCount(Store.Signal.MAIL)).as("only the signals the commit raised").isEqualTo(mailSeen);

            Thread waiter = waiting(b, Store.Signal.MAIL);
            number(admin, END_LISTENERS);
            Await.until("the waiter woken once listening again (every signal raised)", () -> !waiter.isAlive());
            notifiedAgain(a, b);
        }
    }

    @Test
    void aListenerWhoseConnectionWentSilentListensAgain() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        try (TcpRelay relay = new TcpRelay(URI.create(database).getPort());
                Store a = PostgresStore.open(PostgresAddress.parse(database, null, Map.of()), null);
                Store b = PostgresStore.open(relayed(database, relay), null)) {
            Thread waiter = waiting(b, Store.Signal.FREED);
            relay.freeze(); // the server's machine gone without a word: nothing arrives, nothing fails
            Await.until("the waiter woken once the listener found its connection silent and listened again", () -> !waiter.isAlive());
            notifiedAgain(a, b);
        }
    }

    /**
     * Once the database is gone (nothing listens at its port), an operation fails naming why no
     * connection came, not only that the pool's wait for one ran out. Connections the pool still
     * held may each fail one operation first, as lost.
     */
    @Test
    void anOperationOnADatabaseGoneNamesWhyItCannotBeReached() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        TcpRelay relay = new TcpRelay(URI.create(database).getPort());
        PostgresAddress address = relayed(database, relay);
        try (Store store = PostgresStore.open(address, null)) {
            store.read(Tx::now);
            relay.close(); // every connection ends, and new ones are refused
            List<String> failures = new ArrayList<>();
            while (failures.size() <= 8 && failures.stream().noneMatch(message -> message.startsWith("cannot reach"))) {
                assertThatThrownBy(() -> store.read(Tx::now)).isInstanceOfSatisfying(SwarmException.class, failed -> {
                    assertThat(failed.kind()).isEqualTo(SwarmException.Kind.UNAVAILABLE);
                    failures.add(failed.getMessage());
                });
            }
            assertThat(failures.getLast()).as("after each connection the pool held failed as lost (%s)", failures)
                    .isEqualTo("cannot reach the store " + address + ": Connection refused");
        }
    }

    /** A thread waiting for the signal on the store (listening before it starts): it ends when woken. */
    private static Thread waiting(Store store, Store.Signal signal) {
        long seen = store.signalCount(signal);
        return Thread.ofPlatform().start(() -> {
            try {
                store.awaitSignal(signal, seen, Duration.ofHours(1).toMillis());
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static void notifiedAgain(Store a, Store b) {
        long again = b.signalCount(Store.Signal.FREED);
        a.write(tx -> {
            tx.appendEvent("lease.expired", "A", "a.py", Map.of());
            return null;
        });
        Await.until("woken by the other store's commits again", () -> b.signalCount(Store.Signal.FREED) > again);
    }

    @Test
    void closingAStoreEndsItsListenerWhileItStartsOrReconnects() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        PostgresAddress address = PostgresAddress.parse(database, null, Map.of());
        try (Connection admin = connect(address)) {
            closeAsTheListenerStarts(address, admin);
            closeAsTheListenerReconnects(database, admin);
        }
    }

    private static void closeAsTheListenerStarts(PostgresAddress address, Connection admin) throws InterruptedException {
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int cycle = 0; cycle < 20; cycle++) {
            PostgresStore store = PostgresStore.open(address, null);
            CountDownLatch asking = new CountDownLatch(3);
            List<Thread> askers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                askers.add(Thread.ofPlatform().start(recording(failures, () -> {
                    asking.countDown();
                    store.signalCount(Store.Signal.LOGGED); // starts the listener, racing the close
                })));
            }
            asking.await();
            store.close();
            for (Thread asker : askers) {
                asker.join();
            }
        }
        assertThat(failures).isEmpty();
        Await.until("no listener connection left by 20 stores closed as they started listening", () -> number(admin, LISTENERS) == 0);
    }

    /** The relay holds the listener's new connection until the store is closed. */
    private static void closeAsTheListenerReconnects(String database, Connection admin) throws Exception {
        try (TcpRelay relay = new TcpRelay(URI.create(database).getPort())) {
            PostgresStore store = PostgresStore.open(relayed(database, relay), null);
            store.signalCount(Store.Signal.LOGGED);
            relay.hold();
            number(admin, END_LISTENERS);
            Await.until("the listener connecting again, held", () -> relay.held() > 0);
            store.close();
            relay.release();
            // its connection closed once open (the driver would close one nobody holds when collected: this waiting makes no garbage)
            Await.until("no connection left open by the store closed as it reconnected", () -> relay.connections() == 0);
            Await.until("no listener connection left by the store closed as it reconnected", () -> number(admin, LISTENERS) == 0);
        }
    }

    /** The address of the database through the relay. */
    private static PostgresAddress relayed(String database, TcpRelay relay) {
        int port = URI.create(database).getPort();
        return PostgresAddress.parse(database.replace(":" + port + "/", ":" + relay.port() + "/"), null, Map.of());
    }

    @Test
    void writersQueuedBehindAWriteLeaveThePoolToReaders() throws Exception {
        PostgresAddress address = PostgresServer.shared().newAddress();
        String waitingForTheWriteLock = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()";
        int writers = 24; // three times the pool
        int readers = 16;
        int readsEach = 20;
        try (PostgresStore store = PostgresStore.open(address, null); Connection admin = connect(address)) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Thread first = Thread.ofPlatform().start(recording(failures, () -> store.write(tx -> {
                tx.appendEvent("test.first", "A", null, Map.of());
                holding.countDown();
                awaitQuietly(release);
                return null;
            })));
            holding.await();
            List<Thread> queued = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                queued.add(Thread.ofPlatform().start(recording(failures, () -> store.write(tx -> {
                    tx.appendEvent("test.queued", "A", null, Map.of());
                    return null;
                }))));
            }
            // every writer waits: parked in this JVM (in the store's queue, or for a pooled connection), or in the database
            Await.until("every writer waiting", () -> queued.stream().filter(t -> t.getState() == Thread.State.WAITING
                    || t.getState() == Thread.State.TIMED_WAITING).count() + number(admin, waitingForTheWriteLock) >= writers);
            long inTheDatabase = number(admin, waitingForTheWriteLock);

            AtomicInteger reads = new AtomicInteger();
            List<Thread> reading = new ArrayList<>();
            for (int i = 0; i < readers; i++) {
                reading.add(Thread.ofPlatform().start(recording(failures, () -> {
                    for (int n = 0; n < readsEach; n++) {
                        store.read(Tx::now);
                        reads.incrementAndGet();
                    }
                })));
            }
            for (Thread reader : reading) {
                reader.join(); // a reader given no connection fails at the pool's timeout: recorded
            }
            System.out.printf("%d writers queued behind a write: %d connections waited for the write lock in the database;"
                    + " %d of %d reads done%n", writers, inTheDatabase, reads.get(), readers * readsEach);
            assertThat(failures).as("no read failed for want of a connection").isEmpty();
            assertThat(reads).hasValue(readers * readsEach);
            assertThat(inTheDatabase).as("at most one connection of a store waits for the write lock").isLessThanOrEqualTo(1);

            release.countDown();
            first.join();
            for (Thread writer : queued) {
                writer.join();
            }
            assertThat(failures).as("no write failed").isEmpty();
            int written = store.read(tx -> tx.events(0, null, null, 1_000).size());
            assertThat(written).isEqualTo(writers + 1);
        }
    }

    private static Runnable recording(Queue<Throwable> failures, Runnable work) {
        return () -> {
            try {
                work.run();
            } catch (RuntimeException | Error failed) {
                failures.add(failed);
            }
        };
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An older swarm (this code) refuses a database a newer one migrated, rather than run on a schema it does not know. */
    @Test
    void aDatabaseANewerVersionMigratedIsRefusedNamingBothVersions() {
        PostgresAddress address = PostgresServer.shared().newAddress();
        PostgresStore.open(address, null).close();
        String newer = TestStores.migrateAhead(address.jdbcUrl(), address.user(), address.password());
        assertThatThrownBy(() -> PostgresStore.open(address, null)).isInstanceOfSatisfying(SwarmException.class,
                refused -> assertThat(refused.getMessage()).isEqualTo("the database at " + address + " has schema version " + newer
                        + ", newer than this swarm's " + PostgresStore.SCHEMA_VERSION + ": upgrade swarm"));
    }

    /**
     * A user without the rights the store needs (to create its tables on first use, to read and
     * write them) is refused with one line naming the store and the right it lacks, whenever the
     * database refuses: creating the schema, reading its history, writing.
     */
    @Test
    void aUserWithoutTheRightsTheStoreNeedsIsToldWhichItLacks() {
        String database = PostgresServer.shared().newDatabase();
        PostgresAddress reader = PostgresAddress.parse(PostgresServer.shared().newUser(database), null, Map.of());
        String lacks = "the store " + reader + " needs a user that may create tables in the database and read and write them; user "
                + reader.user() + " may not: permission denied for ";
        deniedAs(() -> PostgresStore.open(reader, null), lacks + "schema public");

        PostgresStore.open(PostgresAddress.parse(database, null, Map.of()), null).close(); // its schema made by its owner
        deniedAs(() -> PostgresStore.open(reader, null), lacks + "table flyway_schema_history");

        PostgresServer.shared().asOwner(database, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + reader.user());
        try (Store readOnly = PostgresStore.open(reader, null)) {
            java.util.Optional<String> read = readOnly.read(tx -> tx.setting("written-by"));
            assertThat(read).isEmpty();
            deniedAs(() -> readOnly.write(tx -> {
                tx.putSetting("written-by", "a reader");
                return null;
            }), lacks + "table settings");
        }
    }

    private static void deniedAs(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SwarmException.class, refused -> {
            assertThat(refused.getMessage()).isEqualTo(message);
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED);
        });
    }

    @Test
    void theStoreClockIsTheDatabases() throws Exception {
        PostgresAddress address = PostgresServer.shared().newAddress();
        PostgresStore.open(address, null).close(); // its schema made
        // a database whose clock runs a day ahead of this machine's: its sessions find clock_timestamp() in public first
        try (Connection admin = connect(address)) {
            number(admin, "CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql"
                    + " AS $$ SELECT pg_catalog.clock_timestamp() + interval '1 day' $$");
            number(admin, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, pg_catalog', current_database()); END $$");
        }
        try (Store store = PostgresStore.open(address, null); Connection observer = connect(address)) {
            long before = number(observer, PostgresStore.CLOCK);
            long now = store.read(Tx::now);
            long after = number(observer, PostgresStore.CLOCK);
            assertThat(now).as("between two readings of the database's clock").isBetween(before, after);
            assertThat(now - System.currentTimeMillis()).as("a day ahead of this machine's clock, as the database's is")
                    .isGreaterThan(Duration.ofHours(23).toMillis());
            long first = store.write(Tx::now);
            long second = store.write(Tx::now);
            assertThat(second).as("write times follow commit order").isGreaterThanOrEqualTo(first);
        }
    }

    /**
     * A write's time is read after the write lock was granted, not when the write began to wait
     * for it: the time of a write queued behind another hub's is later than any moment of its wait.
     */
    @Test
    void aWriteQueuedBehindAnotherHubsTakesItsTimeAfterTheWriteLockIsGranted() throws Exception {
        PostgresAddress address = PostgresServer.shared().newAddress();
        try (Store holder = PostgresStore.open(address, null); Store queued = PostgresStore.open(address, null);
             Connection observer = connect(address); ExecutorService hubs = Executors.newCachedThreadPool()) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<Long> held = hubs.submit(() -> holder.write(tx -> {
                holding.countDown();
                Await.openUnchecked(release);
                return tx.now();
            }));
            long whileWaiting;
            Future<Long> waiting;
            try {
                Await.open(holding);
                waiting = hubs.submit(() -> queued.write(Tx::now));
                Await.until("the second hub's write waits for the write lock", () -> number(observer, "SELECT count(*) FROM pg_locks"
                        + " WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 1);
                whileWaiting = number(observer, PostgresStore.CLOCK);
                Await.until("the database's clock has passed that reading", () -> number(observer, PostgresStore.CLOCK) > whileWaiting); // no tie to hide a clock read early
            } finally {
                release.countDown();
            }
            assertThat(Await.done(held)).isLessThanOrEqualTo(whileWaiting);
            assertThat(Await.done(waiting)).as("the queued write's time, read after the lock's grant").isGreaterThan(whileWaiting);
        }
    }

    private static Connection connect(PostgresAddress address) throws SQLException {
        return DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
    }

    /** Runs the statement: the number in its first row, if any (0 otherwise). */
    private static long number(Connection connection, String sql) {
        try (Statement statement = connection.createStatement()) {
            if (!statement.execute(sql)) {
                return 0;
            }
            try (ResultSet answer = statement.getResultSet()) {
                return answer.next() ? answer.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theAddressPasswordIsNeverShown(@org.junit.jupiter.api.io.TempDir Path file) throws Exception {
        PostgresAddress address = PostgresAddress.parse("postgresql://swarm:s3cret@127.0.0.1:1/nowhere?password=other", null, Map.of());
        assertThat(address.toString()).doesNotContain("s3cret", "other").contains("swarm@127.0.0.1:1/nowhere");
        assertThat(address.password()).isEqualTo("s3cret");
        assertThatThrownBy(() -> PostgresStore.open(address, null)).isInstanceOfSatisfying(SwarmException.class, refused -> {
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAVAILABLE);
            assertThat(refused.getMessage()).contains("cannot reach the store postgresql://swarm@127.0.0.1:1/nowhere").doesNotContain("s3cret");
        });
        java.nio.file.Files.writeString(file.resolve("pw"), "from-file\n");
        assertThat(PostgresAddress.parse("postgresql://u@h/db", file.resolve("pw"), Map.of("PGPASSWORD", "env")).password()).isEqualTo("from-file");
        assertThat(PostgresAddress.parse("postgres://u@h/db", null, Map.of("PGPASSWORD", "env")).password()).isEqualTo("env");
        assertThatThrownBy(() -> PostgresAddress.parse("postgresql://u:pw@h", null, Map.of())).hasMessageContaining("names no host or no database")
                .hasMessageNotContaining("pw@");
    }
}
