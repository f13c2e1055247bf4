package dev.swarmhub.kernel;

import java.util.List;

/** Reading the event log, as every adapter offers it. */
public final class LogOperations {

    public static final int DEFAULT_LIMIT = 50;

    public record Read(
            @Doc("Only this agent's events") String agent,
            @Doc(value = "Only events of this kind", example = "lease.acquired") String kind,
            @Doc("Events after this id, oldest first, instead of the newest") Long after,
            @Doc("The newest events before this id (a page back), oldest first") Long before,
            @Doc("How many (default 50, at most 10000)") Integer limit) {
        public Read {
            if (after != null && before != null) {
                throw SwarmException.badInput("give 'after' (newer events) or 'before' (older ones), not both");
            }
            limit = limit == null ? DEFAULT_LIMIT : limit;
        }
    }

    public final Operation<Read, List<Event>> read;

    public LogOperations(EventLog log) {
        read = new Operation<>("log.read", "The event log: the newest events, or those after an id; oldest first.", Read.class, false, Effect.READ,
                (caller, a) -> a.after() != null ? log.after(a.after(), a.agent(), a.kind(), a.limit())
                        : a.before() != null ? log.before(a.before(), a.agent(), a.kind(), a.limit()) : log.latest(a.agent(), a.kind(), a.limit()));
    }
}
