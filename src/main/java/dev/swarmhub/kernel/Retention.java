package dev.swarmhub.kernel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Pruning what a long-lived project no longer needs: rows older than a cutoff that nothing waits
 * on (events, settled messages, gone agents), each domain its own ({@link Part}). A project keeps
 * everything unless the operator prunes ({@code swarm prune}) or sets {@link #OLDER_THAN}, which
 * the hub's sweep then applies. Rows go in batches, one transaction each, so a large backlog never
 * holds the store's write lock for long; a batch is handed to the archive, synced, and only then
 * deleted, so an archived prune loses nothing (a batch whose delete fails is archived again next
 * time: at least once).
 */
public final class Retention {

    /** Rows per part and transaction. */
    public static final int BATCH = 500;
    /** How often the hub's sweep applies the setting once it has caught up (store time). */
    static final Duration SWEEP_EVERY = Duration.ofHours(1);

    public static final Setting<Duration> OLDER_THAN = Setting.duration("prune.older-than", Duration.ZERO);
    /** Whether the hub's sweep archives what it prunes (to .swarm/pruned.jsonl). */
    public static final Setting<Boolean> ARCHIVE = Setting.flag("prune.archive", false);
    public static final List<Setting<?>> SETTINGS = List.of(OLDER_THAN, ARCHIVE);

    /** Where pruned rows are written before they are deleted. */
    public interface Archive extends AutoCloseable {
        /** A row about to be deleted: {@code kind} names its part (events, messages, agents). */
        void keep(String kind, Object row);

        /** Makes what was kept durable; called before the batch's rows are deleted, in the same transaction. */
        void sync();

        @Override
        default void close() {
        }

        /** Deletes without keeping anything. */
        Archive NONE = new Archive() {
            @Override
            public void keep(String kind, Object row) {
            }

            @Override
            public void sync() {
            }
        };
    }

    /** A domain's prunable rows: {@code step} removes at most {@code limit} of those older than {@code before}, archiving each first. */
    public record Part(String kind, Step step) {

        /** The part that finds its oldest prunable rows, gives them to the archive, syncs it, and then removes them. */
        public static <T> Part of(String kind, Finder<T> find, Remover<T> remove) {
            return new Part(kind, (tx, before, limit, archive) -> {
                List<T> rows = find.oldest(tx, before, limit);
                rows.forEach(row -> archive.keep(kind, row));
                archive.sync();
                remove.delete(tx, rows);
                return rows;
            });
        }
    }

    @FunctionalInterface
    public interface Step {
        /** The rows it removed, each given to {@code archive} before the deletes. */
        List<?> prune(Tx tx, long before, int limit, Archive archive);
    }

    @FunctionalInterface
    public interface Finder<T> {
        List<T> oldest(Tx tx, long before, int limit);
    }

    @FunctionalInterface
    public interface Remover<T> {
        void delete(Tx tx, List<T> rows);
    }

    /** The event log's part: events recorded before the cutoff. */
    public static final Part EVENTS = Part.of("events", Tx::eventsRecordedBefore, (tx, old) -> tx.deleteEvents(old.stream().map(Event::id).toList()));

    /** How many rows of each part a prune removed, in the parts' order. */
    public record Pruned(List<Count> counts) {
        public record Count(String kind, long removed) {
        }

        public long total() {
            return counts.stream().mapToLong(Count::removed).sum();
        }
    }

    private record Due(long now, Duration olderThan, boolean archived) {
    }

    private final Store store;
    private final List<Part> parts;
    private long nextSweepAt = Long.MIN_VALUE;

    public Retention(Store store, List<Part> parts) {
        this.store = store;
        this.parts = List.copyOf(parts);
    }

    /** Operator action: removes every prunable row older than {@code olderThan} (store time), in batches. */
    public Pruned prune(Caller caller, Duration olderThan, Archive archive) {
        caller.requireOperator("prune");
        if (olderThan == null || olderThan.isNegative() || olderThan.isZero()) {
            throw SwarmException.badInput("--older-than must be a positive duration, like 30d");
        }
        long before = store.read(Tx::now) - olderThan.toMillis();
        Pruned pruned = new Pruned(parts.stream().map(part -> {
            long removed = 0;
            int batch;
            do {
                batch = store.write(tx -> part.step().prune(tx, before, BATCH, archive).size());
                removed += batch;
            } while (batch == BATCH);
            return new Pruned.Count(part.kind(), removed);
        }).toList());
        store.write(tx -> {
            Map<String, Object> details = OrderedMap.of("olderThan", Durations.format(olderThan));
            pruned.counts().forEach(count -> details.put(count.kind(), count.removed()));
            tx.appendEvent("retention.pruned", null, null, details);
            return null;
        });
        return pruned;
    }

    /**
     * The hub's sweep for {@link #OLDER_THAN}: nothing while it is 0; else one batch per part each
     * second while there is a backlog, then once an hour. With {@link #ARCHIVE} on, each run
     * archives through an archive it opens and closes.
     */
    public Sweep sweep(Supplier<Archive> archive) {
        return new Sweep("pruning by " + OLDER_THAN.name(), () -> {
            Due due = store.read(tx -> new Due(tx.now(), OLDER_THAN.in(tx), ARCHIVE.in(tx)));
            if (due.olderThan().isZero() || due.now() < nextSweepAt) {
                return;
            }
            boolean backlog = false;
            try (Archive to = due.archived() ? archive.get() : Archive.NONE) {
                for (Part part : parts) {
                    backlog |= store.write(tx -> part.step().prune(tx, tx.now() - due.olderThan().toMillis(), BATCH, to).size()) == BATCH;
                }
            }
            nextSweepAt = backlog ? due.now() : due.now() + SWEEP_EVERY.toMillis();
        });
    }
}
