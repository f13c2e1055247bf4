package dev.swarmhub.kernel;

import java.util.function.Function;

/**
 * The single source of truth and the single clock. Each call runs the work as one transaction:
 * {@link #write} takes the store's write lock before the work starts (no read-then-upgrade), and
 * commits when the work returns or rolls back when it throws (the caller gets that exception).
 * Implementations: SQLite (embedded default) and, later, PostgreSQL; nothing above this interface
 * depends on which. What every implementation promises (checked by {@code StoreContractTest}):
 *
 * <ul>
 * <li><b>A write inside a write joins it.</b> A {@link #write} (or {@link #read}) started by the
 *     work of a write, on the same thread, runs on the same transaction ({@link Tx}, time
 *     included): it sees what the outer work wrote, and commits or rolls back with it. Stored
 *     idempotent answers rely on this: the answer commits with the write it answers, or not at all.
 * <li><b>Reads are snapshots.</b> A {@link #read} sees the writes committed before it started and
 *     none committed while it runs.
 * <li><b>The clock.</b> {@link Tx#now()} is the store's time, read once per transaction after the
 *     write lock is taken and constant within it; so the times of writes never decrease in commit
 *     order (while the clock does not go back). Every expiry is judged against it, never against a
 *     client's clock. An embedded store uses its machine's clock; a server store the server's.
 * <li><b>Binary collation.</b> Text compares and sorts by code point, case-sensitively (SQLite's
 *     BINARY; PostgreSQL's {@code COLLATE "C"}): anchor ranges of leases and waiters, and
 *     message-id prefixes ({@code >= prefix AND < prefix + U+FFFF}), assume it.
 * <li><b>Signals</b> follow the events a committed write appended (see {@link Signal}).
 * </ul>
 */
public interface Store extends AutoCloseable {

    /** Runs the work as one write transaction, holding the write lock from its start; inside a write, joins it. */
    <T> T write(Function<Tx, T> work);

    /** A consistent read-only snapshot; the work must not change anything. Inside a write, joins it. */
    <T> T read(Function<Tx, T> work);

    /** Whether this thread is inside a write's work (holding the write lock: a write from here joins it). */
    boolean writing();

    /** The detail of a {@code message.sent} or {@code message.retried} event listing the recipients queued for typing into panes. */
    String QUEUED_FOR_PANE = "panes";

    /**
     * What a committed write can tell waiters in this process, so that they look again at once.
     * The store derives them from the events the write appended ({@link Tx#appendEvent}), so a
     * write that must wake someone records its event.
     */
    enum Signal {
        /** A lease was removed (released, force-released, expired) or a waiter gave up: lease waiters may be granted now. */
        FREED,
        /** A message was stored (sent), or delivered again (retried): inbox waiters and MCP subscribers look. */
        MAIL,
        /**
         * Of those, one queued for typing into a recipient's tmux pane (its event's
         * {@link #QUEUED_FOR_PANE} detail names the recipients): the typist looks, not at every message.
         */
        TYPING,
        /** An event was appended to the log: event streams look. */
        LOGGED,
        /** The coordination document or a setting changed: the hub's document file looks (not at every event). */
        PLANNED
    }

    /**
     * How many writes through this store object have committed that raised the signal. Waiters
     * read it before looking, then {@link #awaitSignal} so that such a write in this process
     * wakes them at once (other processes' writes are seen by polling, unless
     * {@link #signalsCrossProcesses}).
     */
    long signalCount(Signal signal);

    /** Returns when {@link #signalCount} of the signal exceeds {@code seen}, or after the timeout. */
    void awaitSignal(Signal signal, long seen, long timeoutMillis) throws InterruptedException;

    /**
     * Whether other processes' writes raise this store's signals too (PostgreSQL's notifications):
     * then a waiter's poll only guards against a lost wake-up and can be rare.
     */
    default boolean signalsCrossProcesses() {
        return false;
    }

    /** Where the store is, for people: its file, or its database's address without the password. */
    String location();

    @Override
    void close();
}
