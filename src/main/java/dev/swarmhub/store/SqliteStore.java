package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded store: one SQLite database in WAL mode at {@code <root>/.swarm/swarm.db}.
 *
 * <p>Writes begin with {@code BEGIN IMMEDIATE}, which takes the database's write lock before the
 * work reads anything, so a check-then-write can never be overtaken by another process. Inside
 * one process, writers queue on a fair lock for the single write connection (SQLite allows one
 * writer anyway, and its busy handler sleeps instead of queueing); across processes the busy
 * timeout makes them wait. Reads run on a small pool of snapshot connections and never block
 * writers. The store clock is this machine's clock, read after the write lock is taken, so
 * transaction time follows commit order.
 *
 * <p>A failure never outlives its operation: a transaction that failed is rolled back, and a
 * connection that a failure may have left unusable (a full disk, an I/O error, a rollback that
 * failed; see {@link StatementCache}) is closed once its transaction is over (closing rolls back
 * whatever is still open and frees SQLite's locks), then opened afresh on next use. A duplicate
 * key or a bad query fails its statement only and keeps the connection with its prepared
 * statements. So one failure fails that operation only, and never leaves other processes
 * waiting on a write lock this one forgot to release.
 */
public final class SqliteStore implements Store {

    /** The newest migration under db/migration/sqlite; opening skips Flyway when it is applied. */
    static final String SCHEMA_VERSION = "17";
    static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int READERS = 4;
    private static final int MAX_BATCH = 64;
    /**
     * Commits between checkpoints. A commit is a few pages, so the WAL is copied back about as often
     * as SQLite's own 1,000-page default would, but by a thread of its own: SQLite checkpoints in
     * the commit that crosses the limit, and that commit's caller waited for the copy and its
     * fsync (a send's p99 was 10-12 ms against 6.5 without; docs/PERFORMANCE.md).
     */
    private static final int COMMITS_PER_CHECKPOINT = 64;

    private final Path database;
    private final String url;
    private final InstantSource clock;
    /** The database file as opened (device and inode): a commit into a file no longer at its path would be lost. */
    private Object fileKey;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final BlockingQueue<StatementCache> idleReaders = new ArrayBlockingQueue<>(READERS);
    /** One per reader connection, idle or not: a reader retired after a failure frees its permit for a new one. */
    private final Semaphore readerPermits = new Semaphore(READERS);
    private final List<StatementCache> opened = new ArrayList<>();
    /** Connections opened since the store was, including replacements of retired ones. */
    private int connectionsOpened;
    private StatementCache writer;
    private final ThreadLocal<JdbcTx> currentWrite = new ThreadLocal<>();
    private final Queue<Pending<?>> queued = new ConcurrentLinkedQueue<>();
    private final Signals signals = new Signals();
    /** Commits since the last checkpoint began (under the write lock). */
    private int commitsSinceCheckpoint;
    private final AtomicBoolean checkpointing = new AtomicBoolean();
    private boolean closed;

    private SqliteStore(Path database, InstantSource clock) {
        this.database = database;
        this.url = "jdbc:sqlite:" + database;
        this.clock = clock;
    }

    /** Opens (creating and migrating on first use) the database; projects open theirs through {@link Stores}. */
    public static SqliteStore open(Path database, InstantSource clock) {
        SqliteStore store = new SqliteStore(database.toAbsolutePath(), clock);
        store.prepare(database.toAbsolutePath());
        store.fileKey = FileIdentity.of(store.database);
        return store;
    }

    /**
     * A write (or read) started inside another write on the same thread joins it: the outer
     * caller (for example the API storing an idempotent answer) commits both or neither.
     *
     * <p>Group commit: a writer queues its work and takes the write lock; whoever holds the lock
     * runs every queued work in one transaction, each inside its own savepoint (a failing work
     * rolls back alone and its caller gets its exception), and commits once. Waiting writers
     * then find their work done. Under load, one commit serves many writers, which is what
     * SQLite's WAL makes expensive; alone, a writer runs as before.
     */
    @Override
    public <T> T write(Function<Tx, T> work) {
        JdbcTx outer = currentWrite.get();
        if (outer != null) {
            return work.apply(outer);
        }
        Pending<T> mine = new Pending<>(work);
        queued.add(mine);
        writeLock.lock();
        try {
            while (!mine.done) {
                commitQueued();
            }
        } finally {
            writeLock.unlock();
        }
        return mine.outcome();
    }

    /** A queued write and, once its transaction ended, its result or failure. */
    private static final class Pending<T> {
        final Function<Tx, T> work;
        T result;
        Throwable failure;
        volatile boolean done;
        /** Its transaction time, taken at its first run: run again in an isolated batch, it is the same transaction, at the same time. */
        private long now;
        private boolean timed;

        Pending(Function<Tx, T> work) {
            this.work = work;
        }

        void apply(JdbcTx tx) {
            result = work.apply(tx);
        }

        long now(InstantSource clock) {
            if (!timed) {
                now = clock.millis();
                timed = true;
            }
            return now;
        }

        T outcome() {
            if (failure instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            return result;
        }
    }

    /**
     * With the write lock held: runs up to a batch of queued writes in one transaction. Works
     * rarely fail, so they first run one after another without savepoints; when one fails, the
     * transaction rolls back and the batch runs again with each work in its own savepoint, so
     * that only the failing work's effects are undone.
     */
    private void commitQueued() {
        List<Pending<?>> batch = new ArrayList<>();
        for (Pending<?> next = queued.poll(); next != null; next = batch.size() < MAX_BATCH ? queued.poll() : null) {
            batch.add(next);
        }
        Set<Store.Signal> raised = runBatch(batch, false);
        if (raised == null) {
            raised = runBatch(batch, true);
        }
        batch.forEach(item -> item.done = true);
        raised.forEach(signals::raise);
    }

    /**
     * One transaction over the batch; returns the signals its commit raised. Without savepoints
     * ({@code isolated} false), a failing work of a larger batch rolls everything back and the
     * answer is null: run the batch again, isolated. A lone work's failure is its own answer.
     * Effects outside the store are settled with the transaction that made them, under the lock.
     */
    private Set<Store.Signal> runBatch(List<Pending<?>> batch, boolean isolated) {
        EnumSet<Store.Signal> raised = EnumSet.noneOf(Store.Signal.class);
        List<JdbcTx> ran = new ArrayList<>();
        StatementCache connection = writer();
        try {
            run(connection, "BEGIN IMMEDIATE");
            for (Pending<?> item : batch) {
                if (isolated) {
                    raised.addAll(applyInSavepoint(connection, item, ran));
                } else if (!applyDirectly(connection, item, ran, raised)) {
                    rollback(connection);
                    settle(ran, false, item.failure);
                    if (batch.size() == 1) {
                        return Set.of();
                    }
                    item.failure = null; // it runs again, after the same works as now
                    return null;
                }
            }
            refuseIfFileReplaced();
            run(connection, "COMMIT");
            settle(ran, true, null);
            checkpointInBackgroundWhenDue();
            return raised;
        } catch (RuntimeException | Error storeFailed) {
            rollback(connection);
            settle(ran, false, storeFailed);
            for (Pending<?> item : batch) {
                if (item.failure == null) {
                    item.failure = storeFailed; // its work ran, but nothing of it was committed
                }
            }
            return Set.of();
        } finally {
            if (connection.failed()) {
                writer = null;
                retire(connection);
            }
        }
    }

    /**
     * Settles the batch's works the latest first, as a transaction settles its own effects: two
     * writes of one file taken back oldest first would leave the first one's file in place.
     */
    private static void settle(List<JdbcTx> ran, boolean committed, Throwable failure) {
        ran.reversed().forEach(tx -> tx.settle(committed, failure));
    }

    /**
     * Ends the connection's transaction, if one is open. SQLite may have rolled it back already
     * (it does on a full disk), and then ROLLBACK fails: as nothing then says the transaction is
     * over, the connection is retired, and closing it rolls back anything still open.
     */
    private static void rollback(StatementCache connection) {
        try {
            run(connection, "ROLLBACK");
        } catch (StoreException transactionStateUnknown) {
            connection.markFailed();
        }
    }

    /** Runs one queued write as part of the transaction (its tx added to {@code ran}); false (its failure recorded) when it failed. */
    private boolean applyDirectly(StatementCache connection, Pending<?> item, List<JdbcTx> ran, Set<Store.Signal> raised) {
        JdbcTx tx = new JdbcTx(connection, SqliteDialect.INSTANCE, item.now(clock));
        ran.add(tx);
        currentWrite.set(tx);
        try {
            item.apply(tx);
            raised.addAll(tx.raised());
            return true;
        } catch (RuntimeException | Error failure) {
            item.failure = failure;
            return false;
        } finally {
            currentWrite.remove();
        }
    }

    /** Runs one queued write in a savepoint (its tx added to {@code ran} if it stays in the transaction); returns the signals it raised. */
    private Set<Store.Signal> applyInSavepoint(StatementCache connection, Pending<?> item, List<JdbcTx> ran) {
        run(connection, "SAVEPOINT write");
        JdbcTx tx = new JdbcTx(connection, SqliteDialect.INSTANCE, item.now(clock));
        currentWrite.set(tx);
        try {
            item.apply(tx);
            run(connection, "RELEASE write");
            ran.add(tx);
            return tx.raised();
        } catch (RuntimeException | Error failure) {
            item.failure = failure;
            tx.settle(false, failure); // first: a rollback that fails (the disk full) must not leave a file in place, or its hold kept
            run(connection, "ROLLBACK TO write");
            run(connection, "RELEASE write");
            return Set.of();
        } finally {
            currentWrite.remove();
        }
    }

    /** Under the write lock, after a commit: starts a checkpoint once enough commits passed and none runs. */
    private void checkpointInBackgroundWhenDue() {
        if (++commitsSinceCheckpoint >= COMMITS_PER_CHECKPOINT && checkpointing.compareAndSet(false, true)) {
            commitsSinceCheckpoint = 0;
            Thread.ofPlatform().daemon().name("swarm-checkpoint").start(this::checkpoint);
        }
    }

    /**
     * Copies the WAL's committed pages into the database file, beside writers and readers
     * (PASSIVE: it waits for neither, and copies what no reader still needs). A failure (a full
     * disk) leaves them in the WAL, where they stay committed, for the next checkpoint.
     */
    private void checkpoint() {
        try {
            withReader(connection -> {
                String sql = "PRAGMA wal_checkpoint(PASSIVE)";
                try (ResultSet result = connection.prepared(sql).executeQuery()) { // closed at once: then it holds no snapshot
                    return result.next();
                } catch (SQLException e) {
                    throw connection.failure(sql, "store checkpoint failed", e);
                }
            });
        } catch (StoreException failed) {
            if (!isClosed()) {
                LoggerFactory.getLogger(SqliteStore.class).warn("checkpoint of {} failed; its pages stay in the WAL: {}", database,
                        failed.getMessage());
            }
        } finally {
            checkpointing.set(false);
        }
    }

    /**
     * SQLite (in WAL mode) keeps writing into a database file that was deleted or replaced under
     * it (git clean of .swarm/); such a commit would be lost, and a grant from it would overlap
     * the new store's. Checked before each commit; reads of the old file stay possible.
     */
    private void refuseIfFileReplaced() {
        if (!fileKey.equals(FileIdentity.of(database))) {
            throw new StoreException("the store " + database + " was deleted or replaced after this process opened it: "
                    + "nothing was written", null);
        }
    }

    private static void run(StatementCache connection, String sql) {
        try {
            connection.prepared(sql).execute();
        } catch (SQLException e) {
            throw connection.failure(sql, "store " + sql.toLowerCase(Locale.ROOT) + " failed", e);
        }
    }

    @Override
    public boolean writing() {
        return currentWrite.get() != null;
    }

    @Override
    public <T> T read(Function<Tx, T> work) {
        JdbcTx outer = currentWrite.get();
        if (outer != null) {
            return work.apply(outer);
        }
        return withReader(connection -> inReadTransaction(connection, work));
    }

    /** Runs the work on a pooled reader connection, retiring the connection if it failed. */
    private <T> T withReader(Function<StatementCache, T> work) {
        StatementCache connection = takeReader();
        try {
            return work.apply(connection);
        } finally {
            if (connection.failed()) {
                retire(connection);
            } else {
                idleReaders.add(connection);
            }
            readerPermits.release();
        }
    }

    @Override
    public long signalCount(Store.Signal signal) {
        return signals.count(signal);
    }

    @Override
    public void awaitSignal(Store.Signal signal, long seen, long timeoutMillis) throws InterruptedException {
        signals.await(signal, seen, timeoutMillis);
    }

    /** Runs a read between begin and commit; rolls back when anything fails, then rethrows. */
    private <T> T inReadTransaction(StatementCache connection, Function<Tx, T> work) {
        run(connection, "BEGIN");
        try {
            T result = work.apply(new JdbcTx(connection, SqliteDialect.INSTANCE, clock.millis()));
            run(connection, "COMMIT");
            return result;
        } catch (RuntimeException | Error failure) {
            rollback(connection);
            throw failure;
        }
    }

    /** Closes a failed connection: that rolls back what it left open and releases its locks. */
    private synchronized void retire(StatementCache connection) {
        opened.remove(connection);
        try {
            connection.close();
        } catch (SQLException ignored) {
            // the connection is given up either way; SQLite releases its locks when the handle goes
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (StatementCache connection : opened) {
            try {
                connection.close();
            } catch (SQLException | RuntimeException ignored) {
                // closing is best effort (a thread still in a transaction may be using this connection's statements):
                // the database file stays consistent either way
            }
        }
    }

    @Override
    public String location() {
        return database.toString();
    }

    /** How many connections this store opened, replacements of retired ones included. */
    synchronized int connectionsOpened() {
        return connectionsOpened;
    }

    private StatementCache writer() {
        if (writer == null) {
            writer = connect();
        }
        return writer;
    }

    private StatementCache takeReader() {
        try {
            readerPermits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a store connection", e);
        }
        StatementCache idle = idleReaders.poll();
        if (idle != null) {
            return idle;
        }
        try {
            return connect();
        } catch (RuntimeException | Error failed) {
            readerPermits.release();
            throw failed;
        }
    }

    private synchronized StatementCache connect() {
        if (closed) {
            throw new StoreException("store is closed", null);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, "0"); // checkpoints run in the background (checkpoint())
        config.enforceForeignKeys(true);
        config.setGetGeneratedKeys(false); // else every INSERT/UPDATE prepares and runs "SELECT last_insert_rowid()"
        try {
            StatementCache connection = new StatementCache(DriverManager.getConnection(url, config.toProperties()), database);
            opened.add(connection);
            connectionsOpened++;
            return connection;
        } catch (SQLException e) {
            throw new StoreException("cannot open the store " + url, e);
        }
    }

    /**
     * Creates the .swarm directory and the schema on first use. Opening an up-to-date store only
     * reads; otherwise one process at a time (a file lock) tightens the files' modes, switches to
     * WAL and runs Flyway. Modes are tightened there and when the directory itself is found
     * loose, not on every open: every --no-hub run and commit-guard run opens the store.
     */
    private void prepare(Path database) {
        Path directory = database.getParent();
        try {
            PrivateFiles.directory(directory);
            PrivateFiles.file(database); // before SQLite creates it 0644; its -wal and -shm take its mode
            if (schemaIsCurrent()) {
                return;
            }
            try (FileChannel channel = PrivateFiles.openForWriting(directory.resolve("migrate.lock")); FileLock ignored = channel.lock()) {
                if (schemaIsCurrent()) {
                    return;
                }
                PrivateFiles.tighten(directory); // once per new schema: files an older version left looser in a private directory
                try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
                    statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MS);
                    statement.execute("PRAGMA journal_mode = WAL");
                }
                Flyway.configure(getClass().getClassLoader())
                        .dataSource(url, null, null)
                        .locations("classpath:db/migration/sqlite")
                        .load()
                        .migrate();
            }
        } catch (StoreException refused) {
            throw refused;
        } catch (IOException | SQLException | RuntimeException e) {
            throw new StoreException("cannot prepare the store " + database, e);
        }
    }

    /** Whether the database is in WAL mode with this code's schema; refuses one a newer version migrated. */
    private boolean schemaIsCurrent() {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MS);
            boolean current = SchemaVersion.isCurrent(SchemaVersion.newestApplied(connection), SCHEMA_VERSION, database.toString());
            try (ResultSet mode = statement.executeQuery("PRAGMA journal_mode")) {
                return current && mode.next() && mode.getString(1).equalsIgnoreCase("wal");
            }
        } catch (SQLException e) {
            return false; // no schema history yet
        }
    }
}
