package dev.swarmhub.core;

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
     * How many writes through this store object have committed that freed something a waiter
     * may want (a lease removed, a waiter dequeued). Waiters read it before trying, then
     * {@link #awaitFreed} so that a release in this process wakes them at once.
     */
    long freedCount();

    /** Returns when {@link #freedCount()} exceeds {@code seen}, or after the timeout. */
    void awaitFreed(long seen, long timeoutMillis) throws InterruptedException;

    @Override
    void close();
}
