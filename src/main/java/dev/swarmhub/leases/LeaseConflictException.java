package dev.swarmhub.leases;

import dev.swarmhub.kernel.SwarmException;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/** An acquire that could not be granted: the leases in the way, or earlier waiters queued for them. */
public final class LeaseConflictException extends SwarmException {

    /** A lease of another agent that overlaps a requested resource in a conflicting mode. */
    public record Conflict(Resource requested, Lease held) {
    }

    private final List<Conflict> conflicts;
    private final List<Waiter> queuedAhead;
    private final boolean timedOut;

    public LeaseConflictException(List<Conflict> conflicts, List<Waiter> queuedAhead, boolean timedOut) {
        super(Kind.DENIED, describe(conflicts, queuedAhead, timedOut));
        this.conflicts = List.copyOf(conflicts);
        this.queuedAhead = List.copyOf(queuedAhead);
        this.timedOut = timedOut;
    }

    public List<Conflict> conflicts() {
        return conflicts;
    }

    public List<Waiter> queuedAhead() {
        return queuedAhead;
    }

    public boolean timedOut() {
        return timedOut;
    }

    private static String describe(List<Conflict> conflicts, List<Waiter> queuedAhead, boolean timedOut) {
        String prefix = timedOut ? "timed out waiting: " : "";
        if (!conflicts.isEmpty()) {
            return prefix + conflicts.stream().map(c -> {
                Lease held = c.held();
                String what = held.resource().equals(c.requested()) ? c.requested() + " is held by "
                        : c.requested() + " overlaps " + held.resource() + ", held by ";
                return what + held.agent() + ", " + held.mode().label()
                        + (held.reason().isEmpty() ? "" : ", reason \"" + held.reason() + "\"")
                        + ", since " + Instant.ofEpochMilli(held.acquiredAt())
                        + ", expires " + Instant.ofEpochMilli(held.expiresAt());
            }).collect(Collectors.joining("; "));
        }
        return prefix + queuedAhead.stream()
                .map(w -> w.resource() + " is queued for by " + w.agent() + " (waiting since " + Instant.ofEpochMilli(w.since()) + ")")
                .collect(Collectors.joining("; "));
    }
}
