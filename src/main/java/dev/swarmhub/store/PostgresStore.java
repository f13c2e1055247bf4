package dev.swarmhub.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store of several hubs (one per machine): one PostgreSQL database.
 *
 * <p>Every write transaction first takes one transaction-scoped advisory lock, the store's write
 * lock, as SQLite's {@code BEGIN IMMEDIATE} does: writes are serialised across every hub, so a
 * check and the write it decides (the overlap check and the grant) can never be overtaken, event
 * ids and fencing tokens grow in commit order, and no write is ever retried for a serialisation
 * failure. Within one store object, writers first queue on a fair lock of their own and only
 * the one at its head borrows a connection to wait for the advisory lock: waiting in the database
 * would hold a pooled connection per writer, and a burst of writers would leave none for readers.
 * It runs at READ COMMITTED on purpose: each statement after the lock sees every write
 * committed before the lock was granted (at REPEATABLE READ the snapshot would date from the lock
 * statement itself, before the wait). The store clock is the database's, read after the lock
 * ({@code clock_timestamp()}), so transaction time follows commit order whichever hub writes.
 * Reads run at REPEATABLE READ, READ ONLY: one snapshot, never blocking a writer.
 *
 * <p>Signals cross hubs with LISTEN/NOTIFY: a write that raised signals notifies them in its
 * transaction (delivered at commit, to every hub); one thread per store listens, and after it lost
 * its connection (notifications sent meanwhile are lost) it raises every signal once, so waiters
 * look again. A connection the server left without a word (a half-open TCP connection) delivers
 * nothing and fails nothing, so the listener asks it a question whenever it has been quiet for a
 * while, and takes no answer for a lost connection. Waiters also look again after their timeouts:
 * a lost wake-up delays, never loses.
 */
public final class PostgresStore implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresStore.class);
    /** The newest migration under db/migration/postgresql: opening skips Flyway when it is applied. */
    static final String SCHEMA_VERSION = "5";
    /** The advisory lock every write takes first ("Swarmhub" in ASCII). */
    private static final long WRITE_LOCK = 0x537761726d687562L;
    /**
     * How long a write transaction may sit idle, holding the write lock, before the database
     * ends its session: a hub paused (SIGSTOP, a suspended laptop) or cut off mid-write would
     * otherwise stop every hub's writes until TCP gives up, hours later. Generous: a write may
     * run git (a spawn's checks) between its statements.
     */
    static final Duration WRITE_IDLE_LIMIT = Duration.ofSeconds(60);
    /** The store clock: the database's, in ms since the epoch. */
    static final String CLOCK = "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
    private static final String CHANNEL = "swarm_signals";
    /** The SQLSTATE of a statement the user has no right to run. */
    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    private static final int POOL_SIZE = 8;
    private static final long LISTEN_POLL_MS = 500;
    /** After this long without a notification the listener checks its connection, allowing {@link #CHECK_TIMEOUT_S} for the answer. */
    private static final long CHECK_AFTER_QUIET_MS = 5_000;
    private static final int CHECK_TIMEOUT_S = 5;
    private static final long RECONNECT_MS = 1_000;

    private final PostgresAddress address;
    private final HikariDataSource pool;
    /** Null: the database's clock; tests give one of their own. */
    private final InstantSource clock;
    private final Duration writeIdleLimit;
    private final ThreadLocal<JdbcTx> currentWrite = new ThreadLocal<>();
    /** The writers of this store, in arrival order: only the one holding it borrows a connection to wait for the write lock. */
    private final ReentrantLock writers = new ReentrantLock(true);
    private final Signals signals = new Signals();
    /** Names this store in its notifications, which it then ignores: it raised them at its commits. */
    private final String instance = UUID.randomUUID().toString();
    /** Held while the listener starts: callers asking about signals wait for its LISTEN; {@link #close} does not. */
    private final Object listenerStart = new Object();
    /** Null until someone asks about signals ({@link #listenFromNow}). */
    private volatile Thread listener;
    /** The listener's connection (guarded by this): {@link #close} closes it, and one opened after that is closed at once ({@link #adopted}). */
    private Connection listening;
    private volatile boolean closed;

    private PostgresStore(PostgresAddress address, HikariDataSource pool, InstantSource clock, Duration writeIdleLimit) {
        this.address = address;
        this.pool = pool;
        this.clock = clock;
        this.writeIdleLimit = writeIdleLimit;
    }

    /**
     * Starts listening, once, when someone first asks about signals: listening before that
     * caller looks, so no commit after its look goes unnoticed. A short-lived command that never
     * waits opens no second connection.
     */
    private void listenFromNow() {
        synchronized (listenerStart) {
            if (listener != null || closed) {
                return;
            }
            Connection first;
            try {
                first = listeningConnection();
            } catch (SQLException unreachable) {
                throw new StoreException(SwarmException.Kind.UNAVAILABLE, "cannot listen to the store " + address, unreachable);
            }
            if (adopted(first)) {
                listener = Thread.ofPlatform().daemon().name("store notifications").start(() -> listen(first));
            }
        }
    }

    /**
     * Opens the store at the address (migrating its schema when it is behind), on the database's
     * clock, or on {@code clock} when one is given (tests).
     */
    public static PostgresStore open(PostgresAddress address, InstantSource clock) {
        return open(address, clock, WRITE_IDLE_LIMIT);
    }

    /** As {@link #open(PostgresAddress, InstantSource)}, with the write transactions' idle limit (tests shorten it). */
    static PostgresStore open(PostgresAddress address, InstantSource clock, Duration writeIdleLimit) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(address.jdbcUrl());
        config.setUsername(address.user());
        config.setPassword(address.password());
        config.setAutoCommit(false);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED"); // what writes rely on (see above), whatever the server's default
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setPoolName("swarm-store");
        config.addDataSourceProperty("ApplicationName", "swarmhub");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException unreachable) {
            throw new StoreException(SwarmException.Kind.UNAVAILABLE, "cannot reach the store " + address, rootCause(unreachable));
        }
        try {
            migrate(address, pool);
            return new PostgresStore(address, pool, clock, writeIdleLimit);
        } catch (RuntimeException failed) {
            pool.close();
            throw failed;
        }
    }

    /** Seconds a look at the store ({@link #inspect}) waits for the server before calling it unreachable. */
    private static final String INSPECT_TIMEOUT_SECONDS = "5";
    /** PostgreSQL's SQLSTATE for a missing table: no schema history. */
    private static final String UNDEFINED_TABLE = "42P01";

    /** Reachable, and its schema version, on one read-only connection of its own: nothing is created or migrated. */
    static StoreInspection inspect(PostgresAddress address) {
        Properties properties = new Properties();
        properties.setProperty("user", address.user());
        if (address.password() != null) {
            properties.setProperty("password", address.password());
        }
        properties.setProperty("ApplicationName", "swarmhub doctor");
        properties.setProperty("connectTimeout", INSPECT_TIMEOUT_SECONDS);
        properties.setProperty("loginTimeout", INSPECT_TIMEOUT_SECONDS);
        properties.setProperty("readOnly", "true");
        try (Connection connection = DriverManager.getConnection(address.jdbcUrl(), properties)) {
            Optional<MigrationVersion> applied;
            try {
                applied = SchemaVersion.newestApplied(connection);
            } catch (SQLException noHistory) {
                if (!UNDEFINED_TABLE.equals(noHistory.getSQLState())) {
                    throw noHistory;
                }
                applied = Optional.empty();
            }
            return new StoreInspection(address.toString(), List.of(), applied.map(MigrationVersion::getVersion), SCHEMA_VERSION,
                    StoreInspection.compare(applied, SCHEMA_VERSION), 0);
        } catch (SQLException e) {
            throw new StoreException(SwarmException.Kind.UNAVAILABLE, "cannot reach the store " + address, e);
        }
    }

    /** The store's user may not do what the store needs (a read-only user, one that may not create tables): which right it lacks. */
    private static StoreException lacksRights(PostgresAddress address, SQLException refused) {
        String lacking = refused instanceof PSQLException server && server.getServerErrorMessage() != null
                ? server.getServerErrorMessage().getMessage() : refused.getMessage();
        return new StoreException(SwarmException.Kind.DENIED, "the store " + address + " needs a user that may create tables in the database"
                + " and read and write them; user " + address.user() + " may not: " + lacking, null);
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static void migrate(PostgresAddress address, HikariDataSource pool) {
        if (schemaIsCurrent(address, pool)) {
            return;
        }
        try {
            // Flyway holds its own advisory lock while it migrates: hubs starting at once migrate once
            Flyway.configure(PostgresStore.class.getClassLoader()).dataSource(pool).locations("classpath:db/migration/postgresql").load().migrate();
        } catch (RuntimeException e) {
            if (rootCause(e) instanceof SQLException refused && INSUFFICIENT_PRIVILEGE.equals(refused.getSQLState())) {
                throw lacksRights(address, refused);
            }
            throw new StoreException("cannot prepare the store " + address, rootCause(e));
        }
        schemaIsCurrent(address, pool); // a newer version may have migrated it meanwhile (Flyway leaves its migrations be): refused too
    }

    /** Whether the database has this code's schema; refuses one a newer version migrated. */
    private static boolean schemaIsCurrent(PostgresAddress address, HikariDataSource pool) {
        try (Connection connection = pool.getConnection()) {
            try {
                boolean current = SchemaVersion.isCurrent(SchemaVersion.newestApplied(connection), SCHEMA_VERSION, address.toString());
                connection.commit();
                return current;
            } catch (SQLException noHistoryYet) {
                connection.rollback();
                if (INSUFFICIENT_PRIVILEGE.equals(noHistoryYet.getSQLState())) {
                    throw lacksRights(address, noHistoryYet);
                }
                return false;
            }
        } catch (SQLException e) {
            throw new StoreException(SwarmException.Kind.UNAVAILABLE, "cannot reach the store " + address, e);
        }
    }

    @Override
    public <T> T write(Function<Tx, T> work) {
        JdbcTx outer = currentWrite.get();
        if (outer != null) {
            return work.apply(outer);
        }
        writers.lock();
        try {
            return inTransaction(true, work);
        } finally {
            writers.unlock();
        }
    }

    @Override
    public boolean writing() {
        return currentWrite.get() != null;
    }

    @Override
    public <T> T read(Function<Tx, T> work) {
        JdbcTx outer = currentWrite.get();
        return outer != null ? work.apply(outer) : inTransaction(false, work);
    }

    private <T> T inTransaction(boolean writes, Function<Tx, T> work) {
        try (Connection connection = connect(); TransactionStatements statements = new TransactionStatements(connection, address)) {
            JdbcTx tx = null;
            try {
                tx = new JdbcTx(statements, PostgresDialect.INSTANCE, open(statements, writes));
                if (writes) {
                    currentWrite.set(tx);
                }
                T result = work.apply(tx);
                Set<Store.Signal> raised = tx.raised();
                if (!raised.isEmpty()) {
                    PreparedStatement notify = statements.prepared("SELECT pg_notify('" + CHANNEL + "', ?)");
                    notify.setString(1, instance + ":" + raised.stream().map(Enum::name).collect(Collectors.joining(",")));
                    notify.execute();
                }
                connection.commit();
                tx.settle(true, null);
                raised.forEach(signals::raise); // at once here; the other hubs by the notification
                return result;
            } catch (SQLException e) {
                throw rolledBack(connection, tx, statements.failure("", "store transaction failed", e));
            } catch (RuntimeException failure) {
                throw rolledBack(connection, tx, failure);
            } catch (Error failure) {
                throw rolledBack(connection, tx, failure);
            } finally {
                currentWrite.remove();
            }
        } catch (SQLException closing) {
            throw new StoreException("store connection failed", closing);
        }
    }

    /**
     * Rolls the transaction back and takes back its effects outside the store; returns the
     * failure. A commit whose answer was lost counts as rolled back: a file taken back although
     * its write was recorded does less harm than a file written under a lease that may be lost.
     */
    private static <F extends Throwable> F rolledBack(Connection connection, JdbcTx tx, F failure) {
        rollback(connection);
        if (tx != null) {
            tx.settle(false, failure);
        }
        return failure;
    }

    /**
     * Opens the transaction (a write takes the write lock) and returns its time. The database's
     * clock is read by a second statement sent with the first, in one round trip: the server runs
     * them in order, so the time is read after the write lock was granted.
     */
    private long open(TransactionStatements statements, boolean writes) throws SQLException {
        String opening = writes ? "SELECT set_config('idle_in_transaction_session_timeout', '" + writeIdleLimit.toMillis() + "', true), "
                + "pg_advisory_xact_lock(" + WRITE_LOCK + ")" : "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
        if (clock != null) {
            statements.prepared(opening).execute();
            return clock.millis();
        }
        PreparedStatement openingThenClock = statements.prepared(opening + "; " + CLOCK);
        openingThenClock.execute();
        if (!openingThenClock.getMoreResults()) {
            throw new SQLException("the store's clock gave no answer");
        }
        try (ResultSet now = openingThenClock.getResultSet()) {
            now.next();
            return now.getLong(1);
        }
    }

    private static void rollback(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException lost) {
            // the connection is gone: the database rolled the transaction back itself
        }
    }

    private Connection connect() {
        if (closed) {
            throw new StoreException("store is closed", null);
        }
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            // after its timeout the pool says only that no connection came: the last attempt's failure says why (refused, refused login)
            throw new StoreException(SwarmException.Kind.UNAVAILABLE, "cannot reach the store " + address, rootCause(e));
        }
    }

    /** The statements of one transaction, closed with it (the driver keeps the server-side plans per connection). */
    private static final class TransactionStatements implements Statements, AutoCloseable {
        private final Connection connection;
        private final PostgresAddress address;
        private final Map<String, PreparedStatement> statements = new HashMap<>();

        TransactionStatements(Connection connection, PostgresAddress address) {
            this.connection = connection;
            this.address = address;
        }

        @Override
        public PreparedStatement prepared(String sql) throws SQLException {
            return Statements.kept(statements, connection, sql);
        }

        @Override
        public StoreException failure(String sql, String what, SQLException cause) {
            String state = cause.getSQLState() == null ? "" : cause.getSQLState();
            if (state.equals("53100")) {
                return new StoreException("the disk holding the store " + address + " is full, so nothing of this operation was stored;"
                        + " free space and retry", cause);
            }
            if (state.equals(INSUFFICIENT_PRIVILEGE)) {
                return lacksRights(address, cause);
            }
            if (state.startsWith("08") || state.startsWith("57P")) {
                return new StoreException(SwarmException.Kind.UNAVAILABLE, "lost the connection to the store " + address
                        + " (whether this operation was stored is unknown: retry with the same Idempotency-Key, or look)", cause);
            }
            return new StoreException(what, cause);
        }

        @Override
        public void close() {
            for (PreparedStatement statement : statements.values()) {
                try {
                    statement.close();
                } catch (SQLException ignored) {
                    // the connection goes back to the pool, or away, either way
                }
            }
        }
    }

    @Override
    public long signalCount(Store.Signal signal) {
        if (listener == null) {
            listenFromNow();
        }
        return signals.count(signal);
    }

    @Override
    public void awaitSignal(Store.Signal signal, long seen, long timeoutMillis) throws InterruptedException {
        if (listener == null) {
            listenFromNow();
        }
        signals.await(signal, seen, timeoutMillis);
    }

    @Override
    public boolean signalsCrossProcesses() {
        return true;
    }

    /**
     * The listener thread: the other hubs' signals, as notifications on their commits. After a
     * lost connection it listens again and raises every signal: what was notified meanwhile is lost.
     */
    private void listen(Connection first) {
        for (Connection connection = first; connection != null; connection = reconnected()) {
            try (Connection open = connection) {
                receive(open);
                return; // closed
            } catch (SQLException | RuntimeException lost) {
                if (closed) {
                    return;
                }
                LOG.warn("store notifications: {} (listening again in {} ms; waiters poll meanwhile)", lost.getMessage(), RECONNECT_MS);
            }
        }
    }

    /** Raises the notified signals until the store closes; throws when the connection is lost or answers no check. */
    private void receive(Connection connection) throws SQLException {
        PGConnection notifications = connection.unwrap(PGConnection.class);
        long quietSince = System.nanoTime();
        while (!closed) {
            PGNotification[] received = notifications.getNotifications((int) LISTEN_POLL_MS);
            if (received != null && received.length > 0) {
                for (PGNotification notification : received) {
                    raiseNotified(notification.getParameter());
                }
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince > CHECK_AFTER_QUIET_MS * 1_000_000) {
                if (!connection.isValid(CHECK_TIMEOUT_S) && !closed) {
                    throw new SQLException("the store answered no check within " + CHECK_TIMEOUT_S + " s");
                }
                quietSince = System.nanoTime();
            }
        }
    }

    /** A new listening connection after a pause, every signal raised (its waiters look again); null once the store is closed. */
    private Connection reconnected() {
        while (!closed) {
            try {
                Thread.sleep(RECONNECT_MS); // a pause before reconnecting, not a synchronisation
                Connection connection = listeningConnection();
                if (!adopted(connection)) {
                    return null;
                }
                for (Store.Signal signal : Store.Signal.values()) {
                    signals.raise(signal);
                }
                return connection;
            } catch (InterruptedException closing) {
                return null; // only close() interrupts the listener
            } catch (SQLException stillLost) {
                LOG.warn("store notifications: {}", stillLost.getMessage());
            }
        }
        return null;
    }

    /** Makes the connection the listener's; once the store is closed, closes it instead and answers false. */
    private synchronized boolean adopted(Connection connection) {
        if (closed) {
            closeQuietly(connection);
            return false;
        }
        listening = connection;
        return true;
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing anyway: the server ends the session with the socket
        }
    }

    /** Raises the signals another store's notification names; what it cannot read (another version's) wakes everyone instead. */
    private void raiseNotified(String payload) {
        String[] fromAndSignals = payload.split(":", 2);
        if (fromAndSignals[0].equals(instance)) {
            return; // this store's own were raised at its commits
        }
        for (String name : fromAndSignals.length == 2 ? fromAndSignals[1].split(",") : new String[0]) {
            try {
                signals.raise(Store.Signal.valueOf(name));
            } catch (IllegalArgumentException unknown) {
                for (Store.Signal signal : Store.Signal.values()) {
                    signals.raise(signal);
                }
            }
        }
    }

    private Connection listeningConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", address.user());
        if (address.password() != null) {
            properties.setProperty("password", address.password());
        }
        properties.setProperty("ApplicationName", "swarmhub listener");
        properties.setProperty("tcpKeepAlive", "true");
        Connection connection = DriverManager.getConnection(address.jdbcUrl(), properties);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + CHANNEL);
        } catch (SQLException failed) {
            connection.close();
            throw failed;
        }
        return connection;
    }

    @Override
    public void close() {
        Connection open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = listening;
            listening = null;
        }
        if (open != null) {
            closeQuietly(open); // ends the listener's wait
        }
        Thread thread = listener;
        if (thread != null) {
            thread.interrupt(); // ends its pause before reconnecting
        }
        pool.close();
    }

    @Override
    public String location() {
        return address.toString();
    }
}
