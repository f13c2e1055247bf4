package dev.swarmhub.hub;

import dev.swarmhub.kernel.Event;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The newest events of the log as event streams send them, rendered once and shared by every
 * stream, bounded in bytes: a stream reads what it has not sent from here, and reads the log
 * itself only when it fell behind what is held. One thread adds; any thread reads.
 */
final class RecentEvents {

    /** An event as a stream sends it. */
    record Frame(Event event, byte[] bytes) {
        static Frame of(Event event) {
            return new Frame(event, ("id: " + event.id() + "\nevent: " + event.kind() + "\ndata: " + JsonViews.json(JsonViews.event(event))
                    + "\n\n").getBytes(StandardCharsets.UTF_8));
        }

        boolean matches(String kind, String agent) {
            return (kind == null || kind.equals(event.kind())) && (agent == null || agent.equals(event.agent()));
        }
    }

    /** Events read from the log together; {@code bytes}: all their frames, as an unfiltered stream sends them. */
    record Batch(List<Frame> frames, byte[] bytes) {
        static Batch of(List<Event> events) {
            List<Frame> frames = events.stream().map(Frame::of).toList();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            frames.forEach(frame -> all.writeBytes(frame.bytes()));
            return new Batch(frames, all.toByteArray());
        }

        long firstId() {
            return frames.getFirst().event().id();
        }

        long lastId() {
            return frames.getLast().event().id();
        }
    }

    private final long maxBytes;
    private final ConcurrentSkipListMap<Long, Batch> byLastId = new ConcurrentSkipListMap<>();
    /** Every event after this id is held (or not yet logged). Set before a batch is dropped, so a reader that missed the batch sees it. */
    private volatile long completeAfter;
    /** Bytes held; only the adding thread touches it. */
    private long bytes;

    /** Holds nothing yet, and so every event after {@code newestLogged}; keeps at most {@code maxBytes} beyond the newest batch. */
    RecentEvents(long newestLogged, long maxBytes) {
        this.completeAfter = newestLogged;
        this.maxBytes = maxBytes;
    }

    /** Adds the next batch: its events follow every event added before. Drops the oldest batches beyond the bound. */
    void add(Batch batch) {
        byLastId.put(batch.lastId(), batch);
        bytes += batch.bytes().length;
        while (bytes > maxBytes && byLastId.size() > 1) {
            Map.Entry<Long, Batch> oldest = byLastId.firstEntry();
            completeAfter = oldest.getKey();
            byLastId.remove(oldest.getKey());
            bytes -= oldest.getValue().bytes().length;
        }
    }

    /**
     * The held batches holding events after {@code after}, oldest first (the first may also hold
     * earlier ones); null when some of those events are no longer held: read them from the log.
     */
    List<Batch> after(long after) {
        return after(after, Long.MAX_VALUE);
    }

    /**
     * As {@link #after(long)}, but only the oldest of those batches, as many as it takes to reach
     * {@code atLeastBytes} (at least one): a reader takes what it has not sent a bounded piece at
     * a time, so that a thousand slow readers do not each hold a copy of all that is held.
     */
    List<Batch> after(long after, long atLeastBytes) {
        if (after < completeAfter) {
            return null;
        }
        List<Batch> held = new ArrayList<>();
        long taken = 0;
        for (Batch batch : byLastId.tailMap(after, false).values()) {
            held.add(batch);
            taken += batch.bytes().length;
            if (taken >= atLeastBytes) {
                break;
            }
        }
        return after < completeAfter ? null : held; // dropped while being read: the batch may be missing
    }

    /** Every event after this id is held; a reader that read the log up to now has no gap before it. */
    long completeAfter() {
        return completeAfter;
    }
}
