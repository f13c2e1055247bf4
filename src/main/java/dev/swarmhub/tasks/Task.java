package dev.swarmhub.tasks;

import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A task as stored. Times are store-clock epoch milliseconds. {@code assignee} and
 * {@code claimToken} name the current claim while in progress (the fencing token of the lease on
 * {@code task:<id>}); once closed, {@code assignee} stays: who finished it. {@code note}: the
 * latest progress note, or the outcome (done note, failure reason).
 */
public record Task(String id, String title, String description, Status status, int priority, String parent, String creator,
                   String assignee, Long claimToken, int progress, String note, String externalRef, long createdAt, long updatedAt,
                   Long closedAt, List<String> labels) {

    /**
     * Open, in progress, or closed (done, failed, cancelled). {@code blocked} is never stored: an
     * open task shows as blocked while a task blocking it is not done. Open (not blocked) is ready.
     */
    public enum Status {
        OPEN, BLOCKED, IN_PROGRESS, DONE, FAILED, CANCELLED;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public boolean closed() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }

        public static List<String> names() {
            return Arrays.stream(values()).map(Status::label).toList();
        }

        public static Status parse(String text) {
            for (Status status : values()) {
                if (status.label().equalsIgnoreCase(text == null ? "" : text.strip())) {
                    return status;
                }
            }
            throw SwarmException.badInput("unknown task status '" + text + "': use " + String.join(", ", names()));
        }
    }

    Task with(Status newStatus, String newAssignee, Long newToken, int newProgress, String newNote, long now, Long newClosedAt) {
        return new Task(id, title, description, newStatus, priority, parent, creator, newAssignee, newToken, newProgress, newNote,
                externalRef, createdAt, now, newClosedAt, labels);
    }
}
