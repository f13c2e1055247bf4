package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import java.util.List;

/** Something the history proves went wrong: its kind, the events that prove it, and why in one line. */
record Violation(Kind kind, List<EventRef> events, String explanation) {

    enum Kind {
        /** Two leases on one resource, at least one exclusive, live at the same moment. */
        LEASE_OVERLAP,
        /** A later grant on a resource with a token not greater than an earlier grant's. */
        TOKEN_ORDER,
        /** Two leases on one resource with the same fencing token. */
        TOKEN_DUPLICATE,
        /** A fenced write accepted with a token that was no longer (or never) the writer's live exclusive lease. */
        STALE_WRITE,
        /** A file's final content is no write that could have come last: an acknowledged write was lost. */
        LOST_WRITE,
        /** An answered send missing from its recipient's messages, or with another body or sender. */
        LOST_MESSAGE,
        /** A message nobody sent (or whose send was refused). */
        PHANTOM_MESSAGE,
        /** An ack answered both ways, an ack of a message not addressed to the acker, or an acknowledged ack lost. */
        ACK_CONFLICT,
        /** A task claimed while another client's claim of it was still valid. */
        DOUBLE_CLAIM,
        /** A task reported done twice, each answered ok. */
        DOUBLE_DONE,
        /** A done answered ok, and the task not done in the final state. */
        LOST_DONE,
        /** A count in the final read outside what the history allows. */
        COUNT_MISMATCH,
        /** No order of a resource's lease operations fits the lease model. */
        NOT_LINEARIZABLE;

        String label() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    Violation {
        events = List.copyOf(events);
    }

    @Override
    public String toString() {
        return kind.label() + ": " + explanation + " [" + String.join("; ", events.stream().map(EventRef::toString).toList()) + "]";
    }
}
