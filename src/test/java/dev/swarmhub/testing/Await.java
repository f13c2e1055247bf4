package dev.swarmhub.testing;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/** Waits for a condition another thread or process brings about, re-checking it; fails after a timeout. */
public final class Await {

    /**
     * Only how long a failing test takes to say so: generous, because a passing one on a shared
     * machine at load 30-50 took over 30 s for one CLI command in another process.
     */
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private Await() {
    }

    /**
     * As {@link #until}, for a condition many steps bring about (lines typed one by one): fails
     * only when {@code progress} stays the same for the timeout, so a slow machine takes longer
     * and a stuck system still fails.
     */
    public static void untilWhileProgressing(String what, LongSupplier progress, BooleanSupplier condition) {
        long seen = progress.getAsLong();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            long now = progress.getAsLong();
            if (now != seen) {
                seen = now;
                deadline = System.nanoTime() + TIMEOUT.toNanos();
            } else if (System.nanoTime() > deadline) {
                fail("gave up waiting for " + what + ": no progress for " + TIMEOUT.toSeconds() + " s (at " + now + ")");
            }
            pause(what);
        }
    }

    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("gave up after " + TIMEOUT.toSeconds() + " s waiting for " + what);
            }
            pause(what);
        }
    }

    /**
     * The result of work another thread does (its failure as {@link ExecutionException}); fails
     * after the timeout: a bound against a hang, never a verdict on speed.
     */
    public static <T> T done(Future<T> work) throws ExecutionException, InterruptedException {
        try {
            return work.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException hung) {
            return fail("gave up after " + TIMEOUT.toSeconds() + " s waiting for a result");
        }
    }

    /** Waits until the latch is open; fails after the timeout. */
    public static void open(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            fail("gave up after " + TIMEOUT.toSeconds() + " s waiting for a latch to open (" + latch.getCount() + " count(s) left)");
        }
    }

    /** {@link #open} for work that may not throw checked exceptions (a store write's): an interrupt fails it too. */
    public static void openUnchecked(CountDownLatch latch) {
        try {
            open(latch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while waiting for a latch to open");
        }
    }

    private static void pause(String what) {
        try {
            Thread.sleep(2); // polling pause, not synchronisation: the condition decides
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while waiting for " + what);
        }
    }
}
