package dev.swarmhub.hub;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * Logs the failures of work the hub repeats (a sweep every second, a background loop): a new
 * failure at once with its stack trace, the same failure again at most once a minute with how
 * often it recurred, and the recovery once. A lasting fault (a full disk) so leaves a few lines
 * an hour, not one a second that would rotate everything else out of the log.
 */
final class RepeatedFailures {

    private static final long REPEAT_EVERY_NANOS = 60_000_000_000L;

    private final Logger log;
    private final Map<String, Streak> failing = new HashMap<>();

    RepeatedFailures(Logger log) {
        this.log = log;
    }

    private static final class Streak {
        final String failure;
        final long since = System.nanoTime();
        long loggedAt = since;
        int unlogged;

        Streak(String failure) {
            this.failure = failure;
        }
    }

    /** {@code what} (e.g. "the sweep of leases") failed. */
    synchronized void failed(String what, RuntimeException failure) {
        String described = String.valueOf(failure.getMessage());
        Streak streak = failing.get(what);
        if (streak == null || !Objects.equals(streak.failure, described)) {
            failing.put(what, new Streak(described));
            log.warn("{} failed: {}", what, described, failure);
            return;
        }
        streak.unlogged++;
        long now = System.nanoTime();
        if (now - streak.loggedAt >= REPEAT_EVERY_NANOS) {
            log.warn("{} still fails ({} more times in {} s): {}", what, streak.unlogged, (now - streak.loggedAt) / 1_000_000_000L, described);
            streak.loggedAt = now;
            streak.unlogged = 0;
        }
    }

    /** {@code what} ran without failing: a failure streak ends. */
    synchronized void succeeded(String what) {
        if (failing.isEmpty()) {
            return;
        }
        Streak ended = failing.remove(what);
        if (ended != null) {
            log.info("{} works again after failing for {} s", what, (System.nanoTime() - ended.since) / 1_000_000_000L);
        }
    }
}
