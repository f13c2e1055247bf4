package dev.swarmhub.faults;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * A fault run's history as the checker reads it (the format is /tmp/history-format.md, kept in
 * docs by the runner): the run's parameters, every event, the client operations (an invoke joined
 * with its completion), the nemesis' fault spans and the final read.
 */
record History(RunInfo run, List<Event> events, List<Operation> operations, List<FaultSpan> faults, JsonNode finalState) {

    /** No completion: an operation whose outcome is unknown may take effect at any time after its invoke. */
    static final long NEVER = Long.MAX_VALUE;

    enum Type { INVOKE, OK, FAIL, INFO }

    /** What became of an operation: done, certainly not done, or unknown (an info, or no completion at all). */
    enum Outcome { OK, FAIL, INFO }

    /** run.json; {@code claimTtlMs} (optional, an extension) is the task claims' ttl when the run set one. */
    record RunInfo(long seed, String store, int hubs, int clients, long ttlMs, long durationMs, List<String> resources,
            List<String> nemeses, long startedAtMs, Long claimTtlMs) {
    }

    /** One line of history.jsonl ({@code line} counts from 1, for error messages). */
    record Event(long time, String process, Type type, String f, long op, JsonNode value, int line) {
    }

    /** An event a violation points at: the process, its operation number, and the time (ns since the run's start). */
    record EventRef(String process, long op, String f, long time) {

        @Override
        public String toString() {
            return process + " " + f + " op " + op + " at " + Timeline.seconds(time);
        }
    }

    /**
     * A client operation. {@code completedAt} is when its completion was recorded ({@link #NEVER}
     * without one); {@link #effectBy()} is the latest moment it may have taken effect.
     */
    record Operation(String process, long op, String f, JsonNode input, Outcome outcome, JsonNode output, long invokedAt,
            long completedAt) {

        boolean ok() {
            return outcome == Outcome.OK;
        }

        boolean failed() {
            return outcome == Outcome.FAIL;
        }

        boolean unknown() {
            return outcome == Outcome.INFO;
        }

        /** Its effect happened within [invokedAt, effectBy]: an unknown outcome may land any time later. */
        long effectBy() {
            return outcome == Outcome.INFO ? NEVER : completedAt;
        }

        /** Whether it certainly completed before {@code other} was invoked (real-time order). */
        boolean precedes(Operation other) {
            return effectBy() < other.invokedAt;
        }

        /** A string field of the invoke's value. */
        String input(String field) {
            return HistoryReader.text(input, field, this);
        }

        long inputNumber(String field) {
            return HistoryReader.number(input, field, this);
        }

        /** A string field of the completion's value. */
        String output(String field) {
            return HistoryReader.text(output, field, this);
        }

        long outputNumber(String field) {
            return HistoryReader.number(output, field, this);
        }

        EventRef ref() {
            return new EventRef(process, op, f, outcome == Outcome.INFO && completedAt == NEVER ? invokedAt : completedAt);
        }

        EventRef invokeRef() {
            return new EventRef(process, op, f, invokedAt);
        }

        @Override
        public String toString() {
            return process + " " + f + " op " + op + " (" + outcome.name().toLowerCase() + ")";
        }
    }

    /** A fault from its start event to its end event ({@link #NEVER} when the run ended before). */
    record FaultSpan(String kind, String target, long start, long end) {

        boolean overlaps(long from, long to) {
            return start <= to && from <= end;
        }
    }

    List<Operation> operations(String f) {
        return operations(operation -> operation.f().equals(f));
    }

    List<Operation> operations(Predicate<Operation> which) {
        return operations.stream().filter(which).toList();
    }

    List<String> clients() {
        return operations.stream().map(Operation::process).distinct().sorted(Comparator.comparingInt(History::clientNumber)
                .thenComparing(Comparator.naturalOrder())).toList();
    }

    /** c12 → 12, so lanes sort c1, c2, …, c10. */
    private static int clientNumber(String process) {
        String digits = process.replaceAll("\\D", "");
        return digits.isEmpty() || digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
    }

    Map<String, Map<Outcome, Long>> countsByOperation() {
        return operations.stream().collect(Collectors.groupingBy(Operation::f, java.util.TreeMap::new,
                Collectors.groupingBy(Operation::outcome, () -> new java.util.EnumMap<>(Outcome.class), Collectors.counting())));
    }

    /** The final read, for violations it shows. */
    EventRef finalReadRef() {
        return new EventRef(HistoryReader.FINAL, 0, "final-read", end());
    }

    long end() {
        return events.isEmpty() ? 0 : events.getLast().time();
    }
}
