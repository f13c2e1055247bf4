package dev.swarmhub.kernel;

import java.util.function.Function;

/**
 * The single source of truth and the single clock. Each call runs the work as one transaction:
 * {@link #write} takes the store's write lock before the work starts (no read-then-upgrade), and
 * commits when the work returns or rolls back when it throws. Implementations: SQLite (embedded
 * default) and, later, PostgreSQL; nothing above this interface depends on which.
 */
public interface Store extends AutoCloseable {

    <T> T write(Function<Tx, T> work);

    /** A consistent read-only snapshot; the work must not change anything. */
    <T> T read(Function<Tx, T> work);

    /**
     * What a committed write can tell waiters in this process, so that they look again at once.
     * The store derives them from the events the write appended ({@link Tx#appendEvent}), so a
     * write that must wake someone records its event.
     */
    enum Signal {
        /** A lease was removed (released, force-released, expired) or a waiter gave up: lease waiters may be granted now. */
        FREED,
        /** A message was stored (sent), or delivered again (retried): inbox waiters, the typist and MCP subscribers look. */
        MAIL,
        /** An event was appended to the log: event streams look. */
        LOGGED
    }

    /**
     * How many writes through this store object have committed that raised the signal. Waiters
     * read it before looking, then {@link #awaitSignal} so that such a write in this process
     * wakes them at once (writes by other processes are seen by polling).
     */
    long signalCount(Signal signal);

    /** Returns when {@link #signalCount} of the signal exceeds {@code seen}, or after the timeout. */
    void awaitSignal(Signal signal, long seen, long timeoutMillis) throws InterruptedException;

    @Override
    void close();
}
