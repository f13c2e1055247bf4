package dev.swarmhub.tasks;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Tx;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The task rows of a transaction ({@link Tx#part}): what the task domain reads and writes in the
 * store. "Blocked" and "ready" are judged here, in SQL over the rows, so that a listing, the next
 * claim and the counts agree within their transaction.
 */
public interface TaskStore {

    static TaskStore in(Tx tx) {
        return tx.part(TaskStore.class);
    }

    /** Stores a new task with its labels. */
    void insertTask(Task task);

    /** Writes the task's changeable columns (status, claim, progress, note, times). */
    void updateTask(Task task);

    Optional<Task> task(String id);

    Optional<Task> taskWithExternalRef(String externalRef);

    /** Ids starting with the prefix, at most {@code limit}. */
    List<String> taskIdsStartingWith(String prefix, int limit);

    /**
     * Tasks matching the filter, by priority, then age (then insertion order): with a status, those shown with it
     * ({@code open}: ready; {@code blocked}: open with a blocker not done).
     */
    List<Task> tasks(Filter filter, int limit);

    /** What to list; null fields filter nothing; without a status, closed tasks only with {@code closedToo}. */
    record Filter(Task.Status status, String label, String assignee, String parent, boolean closedToo) {
        public static final Filter ALL = new Filter(null, null, null, null, true);
    }

    /** Of the tasks' blockers, those not done, by task then blocker: while there is one, the open task is blocked. */
    List<Blocker> unfinishedBlockers(Collection<String> ids);

    /** A blocker not done of {@code task}, and its status. */
    record Blocker(String task, String blocker, Task.Status status) {
    }

    /** The tasks' links, either way: {@code from} blocks (or relates to) {@code to}. */
    List<Link> links(Collection<String> ids);

    record Link(String from, String to, Kind kind) {
    }

    enum Kind { BLOCKS, RELATED }

    /** Adds the link; false when it was there already. */
    boolean insertLink(Link link);

    /** Removes the link; false when there was none. */
    boolean deleteLink(Link link);

    /** The tasks this one blocks. */
    List<String> blockedTasks(String id);

    /** In-progress tasks whose claim has no live lease with the claim's token any more. */
    List<Task> lapsedClaims();

    /** The last event that ended the agent's lease with this fencing token on the resource (released, force-released, expired). */
    Optional<Event> lastLeaseEnd(String agent, String resource, long token);

    /** The newest {@code limit} events of the task (its own and its claims' lease events), oldest first. */
    List<Event> history(String id, int limit);

    /** Direct sub-tasks of the parents, oldest first (then in insertion order). */
    List<Task> subtasks(Collection<String> parents);

    // ------------------------------------------------------------------------------------- counts

    /** Of the tasks in the stored statuses given, how many show each status (blocked and open apart). */
    List<Count> countByStatus(Collection<Task.Status> stored);

    /** Per assignee, how many tasks in each stored status. */
    List<Count> countByAssignee();

    /** Per parent (of those given; null: all): sub-tasks done, and in all. */
    List<Count> countByParent(Collection<String> parents);

    /** Per task with any (of those given; null: all): the agents not gone holding a live lease on its claim. */
    List<Count> countActiveAgents(Collection<String> ids);

    /** A count of tasks: by {@code key} (a status, an agent, a parent, a task) and, where it applies, {@code status}. */
    record Count(String key, String status, long count) {
    }

    /** The id of the newest event: what the counts of this transaction include. */
    long lastEventId();

    /** Every task, oldest first (then in insertion order). */
    List<Task> allTasks();

    /** Every link between tasks. */
    List<Link> allLinks();
}
