package dev.swarmhub.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/** A store clock that stands still until the test moves it; safe to read and advance from any thread. */
public final class MutableClock implements InstantSource {

    private final AtomicLong millis;

    public MutableClock(Instant start) {
        this.millis = new AtomicLong(start.toEpochMilli());
    }

    /** A fixed, arbitrary start, so runs are reproducible. */
    public static MutableClock startingAt2030() {
        return new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    }

    /** Moves the clock forward and returns the new time in epoch milliseconds. */
    public long advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a store clock never goes back: " + by);
        }
        return millis.addAndGet(by.toMillis());
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }
}
