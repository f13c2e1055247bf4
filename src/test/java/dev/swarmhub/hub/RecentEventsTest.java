package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The events held for the streams: bounded in bytes, and a reader either gets every held event
 * after its position, with no gap, or is told to read the log, also while batches are being
 * added and dropped.
 */
class RecentEventsTest {

    @Test
    void holdsEveryEventAfterItsStartUntilTheBoundDropsTheOldest() {
        RecentEvents recent = new RecentEvents(10, 3 * batch(11, 11).bytes().length);
        assertThat(recent.after(10)).as("nothing logged after the start yet").isEmpty();
        assertThat(recent.after(9)).as("before the start: read the log").isNull();

        recent.add(batch(11, 12));
        recent.add(batch(13, 13));
        assertThat(ids(recent.after(10))).containsExactly(11L, 12L, 13L);
        assertThat(ids(recent.after(11))).as("the first batch returned may hold earlier events").containsExactly(11L, 12L, 13L);
        assertThat(ids(recent.after(12))).containsExactly(13L);
        assertThat(recent.after(13)).isEmpty();

        recent.add(batch(14, 14)); // four events' bytes: the oldest batch goes
        assertThat(recent.completeAfter()).isEqualTo(12);
        assertThat(recent.after(11)).as("event 12 is no longer held").isNull();
        assertThat(ids(recent.after(12))).containsExactly(13L, 14L);
    }

    @Test
    void theNewestBatchIsHeldEvenWhenItAloneExceedsTheBound() {
        RecentEvents recent = new RecentEvents(0, 1);
        recent.add(batch(1, 5));
        assertThat(ids(recent.after(0))).containsExactly(1L, 2L, 3L, 4L, 5L);
        recent.add(batch(6, 6));
        assertThat(recent.after(0)).isNull();
        assertThat(ids(recent.after(5))).containsExactly(6L);
    }

    /**
     * One thread adds batches while the bound drops old ones; readers follow from many positions.
     * Whenever a reader is given batches, they hold every event after its position up to the last
     * one given, in order: a batch dropped while a reader read would be a gap.
     */
    @Test
    void readersNeverSeeAGapWhileBatchesAreAddedAndDropped() throws Exception {
        int events = 50_000;
        RecentEvents recent = new RecentEvents(0, 8 * batch(1, 1).bytes().length);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int readers = 4;
        CountDownLatch ready = new CountDownLatch(readers + 1);
        List<Thread> threads = new ArrayList<>();
        int[] gapsReported = new int[readers];
        for (int r = 0; r < readers; r++) {
            int reader = r;
            threads.add(Thread.ofPlatform().start(() -> {
                ready.countDown();
                long after = 0;
                try {
                    while (after < events) {
                        List<RecentEvents.Batch> held = recent.after(after);
                        if (held == null) {
                            gapsReported[reader]++;
                            after = recent.completeAfter(); // as the log would bring it there
                            continue;
                        }
                        long expected = after + 1;
                        for (long id : ids(held)) {
                            if (id > after) {
                                assertThat(id).as("the event after %d", expected - 1).isEqualTo(expected);
                                expected++;
                            }
                        }
                        after = expected - 1;
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        ready.countDown();
        ready.await();
        for (long id = 1; id <= events; ) {
            long last = Math.min(events, id + id % 3); // batches of one to three events
            recent.add(batch(id, last));
            id = last + 1;
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        System.out.printf("RecentEventsTest: readers sent to the log %s times%n", java.util.Arrays.toString(gapsReported));
    }

    private static RecentEvents.Batch batch(long first, long last) {
        return RecentEvents.Batch.of(LongStream.rangeClosed(first, last)
                .mapToObj(id -> new Event(id, 0, "test.kind", "alice", null, Map.of())).toList());
    }

    private static List<Long> ids(List<RecentEvents.Batch> batches) {
        return batches.stream().flatMap(batch -> batch.frames().stream()).map(frame -> frame.event().id()).toList();
    }
}
