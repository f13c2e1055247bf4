package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The store's signals (see {@link Store.Signal}): per signal, a count of the committed writes that
 * raised it, and the threads waiting for it to grow. There is no shared lock: a raise counts and
 * unparks each waiter of that signal; a waiter parks itself. Under one monitor (wait/notifyAll),
 * hundreds of woken event streams queued to take the monitor back, and a committing writer queued
 * behind them to count its signal: every other request stalled.
 *
 * <p>No wake-up is lost: a waiter registers before it compares the count, and a raise counts
 * before it unparks the registered waiters, so either the waiter sees the new count or the raise
 * sees the waiter (an unpark before the park makes the park return at once).
 */
final class Signals {

    /**
     * Which committed events wake whom: the one table of it. Every event wakes event streams
     * (LOGGED); these kinds also wake lease waiters (a lease removed, or a waiter ahead gave up)
     * or inbox waiters and MCP subscribers (a message stored, or delivered again), and the typist
     * when the event names a delivery queued for a pane ({@link Store#QUEUED_FOR_PANE}).
     * A grant wakes lease waiters too: the waiter it dequeued stood ahead in the queue, and a
     * shared waiter behind a shared one may go now. A waiter removed by cleanup frees nothing (it
     * had stopped counting: silent or past its deadline). The document's events and setting
     * changes (the document's file name is one) wake the document file's writer.
     */
    private static final Map<String, Store.Signal> WAKING_EVENTS = Map.of(
            "lease.released", Store.Signal.FREED,
            "lease.force-released", Store.Signal.FREED,
            "lease.expired", Store.Signal.FREED,
            "lease.wait-abandoned", Store.Signal.FREED,
            "lease.acquired", Store.Signal.FREED,
            "message.sent", Store.Signal.MAIL,
            "message.retried", Store.Signal.MAIL);

    /** The signals that committing an event of this kind, with these details, raises. */
    static Set<Store.Signal> raisedBy(String eventKind, Map<String, Object> details) {
        Store.Signal also = eventKind.startsWith("doc.") || eventKind.equals("setting.changed") ? Store.Signal.PLANNED
                : WAKING_EVENTS.get(eventKind);
        EnumSet<Store.Signal> raised = also == null ? EnumSet.of(Store.Signal.LOGGED) : EnumSet.of(Store.Signal.LOGGED, also);
        if (also == Store.Signal.MAIL && details.get(Store.QUEUED_FOR_PANE) instanceof Collection<?> panes && !panes.isEmpty()) {
            raised.add(Store.Signal.TYPING);
        }
        return raised;
    }

    private final AtomicLong[] counts = new AtomicLong[Store.Signal.values().length];
    @SuppressWarnings("unchecked")
    private final Set<Thread>[] waiters = new Set[Store.Signal.values().length];

    Signals() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new AtomicLong();
            waiters[i] = ConcurrentHashMap.newKeySet();
        }
    }

    long count(Store.Signal signal) {
        return counts[signal.ordinal()].get();
    }

    void raise(Store.Signal signal) {
        counts[signal.ordinal()].incrementAndGet();
        waiters[signal.ordinal()].forEach(LockSupport::unpark);
    }

    /** Returns when the signal's count exceeds {@code seen}, or after the timeout. */
    void await(Store.Signal signal, long seen, long timeoutMillis) throws InterruptedException {
        Thread me = Thread.currentThread();
        Set<Thread> waiting = waiters[signal.ordinal()];
        AtomicLong count = counts[signal.ordinal()];
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        waiting.add(me);
        try {
            for (long left = deadline - System.nanoTime(); count.get() <= seen && left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            waiting.remove(me);
        }
    }
}
