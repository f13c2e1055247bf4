package dev.swarmhub.store;

import dev.swarmhub.kernel.Store;
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
