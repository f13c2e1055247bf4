package dev.swarmhub.tasks;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Tasks in and out of the queue as a whole: an export of every task with its links, and an
 * import of tasks named by the file's own references (this queue's ids, or another tracker's),
 * in one transaction: all of it or nothing. An import is idempotent: a task already here (by id,
 * or by the other tracker's reference kept as its external ref) is left as it is.
 */
public final class TaskTransfer {

    /** The most tasks one import takes. */
    public static final int MAX_IMPORTED = 10_000;

    private TaskTransfer() {
    }

    /**
     * A task read from a file. {@code ref}: an id of this queue (kept as the task's id, with the
     * {@code externalRef} it had) or another tracker's reference such as {@code beads:bd-12} (kept
     * as its external ref). {@code parent},
     * {@code blockedBy} and {@code related} are refs of the same file or tasks of the queue; times
     * in epoch milliseconds, null: the import's time. Claims are not imported: a task is open or closed.
     */
    public record Incoming(String ref, String title, String description, Task.Status status, Integer priority, List<String> labels,
                           String parent, List<String> blockedBy, List<String> related, String note, Long createdAt, Long closedAt, String externalRef) {
        public Incoming {
            if (status == Task.Status.IN_PROGRESS || status == Task.Status.BLOCKED) {
                throw SwarmException.badInput("task " + ref + ": an imported task is open, done, failed or cancelled, not " + status.label());
            }
            blockedBy = blockedBy == null ? List.of() : List.copyOf(blockedBy);
            related = related == null ? List.of() : List.copyOf(related);
        }
    }

    /** What an import did: the tasks created (their ids, in the file's order) and those already here. */
    public record Imported(List<String> created, List<String> alreadyHere, int links) {
    }

    /** Every task, oldest first, and every link. */
    public record Export(List<Task> tasks, List<TaskStore.Link> links) {
    }

    static Export export(Tx tx) {
        return new Export(TaskStore.in(tx).allTasks(), TaskStore.in(tx).allLinks());
    }

    static Imported importAll(Tx tx, Caller caller, String creator, List<Incoming> incoming) {
        if (incoming.size() > MAX_IMPORTED) {
            throw SwarmException.badInput(incoming.size() + " tasks to import; at most " + MAX_IMPORTED + " at once");
        }
        TaskStore rows = TaskStore.in(tx);
        Set<String> refs = new HashSet<>();
        for (Incoming task : incoming) {
            if (!refs.add(task.ref()) || task.externalRef() != null && !refs.add(task.externalRef())) {
                throw SwarmException.badInput("task " + task.ref() + " is in the file twice");
            }
        }
        Map<String, String> ids = new HashMap<>();
        List<String> alreadyHere = new ArrayList<>();
        List<Incoming> fresh = new ArrayList<>();
        for (Incoming task : incoming) {
            Optional<Task> stored = Ids.isId(task.ref())
                    ? rows.task(task.ref()).or(() -> task.externalRef() == null ? Optional.empty() : rows.taskWithExternalRef(task.externalRef()))
                    : rows.taskWithExternalRef(task.ref());
            if (stored.isPresent()) {
                ids.put(task.ref(), stored.get().id());
                alreadyHere.add(stored.get().id());
            } else {
                ids.put(task.ref(), Ids.isId(task.ref()) ? task.ref() : Ids.next(tx.now()));
                fresh.add(task);
            }
        }
        List<String> created = new ArrayList<>();
        for (Incoming task : parentsFirst(fresh)) {
            created.add(insert(tx, caller, creator, task, ids).id());
        }
        List<TaskStore.Link> toAdd = new ArrayList<>();
        for (Incoming task : fresh) {
            String id = ids.get(task.ref());
            for (String blocker : task.blockedBy()) {
                toAdd.add(new TaskStore.Link(idOf(tx, ids, blocker, task, "blocker"), id, TaskStore.Kind.BLOCKS));
            }
            for (String other : task.related()) {
                toAdd.add(new TaskStore.Link(id, idOf(tx, ids, other, task, "related task"), TaskStore.Kind.RELATED));
            }
        }
        Set<String> freshIds = new HashSet<>();
        fresh.forEach(task -> freshIds.add(ids.get(task.ref())));
        refuseCycles(toAdd, freshIds);
        int links = 0;
        for (TaskStore.Link link : toAdd) {
            links += Tasks.addLink(tx, caller, link) ? 1 : 0;
        }
        return new Imported(List.copyOf(created), List.copyOf(alreadyHere), links);
    }

    private static Task insert(Tx tx, Caller caller, String creator, Incoming incoming, Map<String, String> ids) {
        Tasks.Draft checked;
        try {
            checked = new Tasks.Draft(incoming.title(), incoming.description(), incoming.priority() == null ? null : Tasks.priority(incoming.priority()),
                    incoming.labels(), null, null);
        } catch (SwarmException e) {
            throw SwarmException.badInput("task " + incoming.ref() + ": " + e.getMessage());
        }
        String note = incoming.note() == null ? "" : Limits.visibleText("note of task " + incoming.ref(), incoming.note().strip(), Tasks.MAX_NOTE);
        Task.Status status = incoming.status() == null ? Task.Status.OPEN : incoming.status();
        long createdAt = incoming.createdAt() == null ? tx.now() : incoming.createdAt();
        Long closedAt = status.closed() ? (incoming.closedAt() == null ? tx.now() : incoming.closedAt()) : null;
        String parent = incoming.parent() == null ? null : idOf(tx, ids, incoming.parent(), incoming, "parent");
        String id = ids.get(incoming.ref());
        Task task = new Task(id, checked.title(), checked.description(), status, checked.priority(), parent, creator, null, null,
                status == Task.Status.DONE ? 100 : 0, note, Ids.isId(incoming.ref()) ? incoming.externalRef() : incoming.ref(), createdAt, tx.now(), closedAt,
                checked.labels());
        TaskStore.in(tx).insertTask(task);
        Tasks.record(tx, caller, task, "task.imported", "from", incoming.ref(), "title", task.title(), "priority", task.priority(),
                "labels", task.labels(), "parent", parent);
        return task;
    }

    /**
     * Refuses blocks links of the file that would close a cycle, naming it, in memory: every new
     * link ends at a task of the file, so a new cycle runs through tasks of the file only (a task of
     * the queue gains no link to it), and one walk of the file's links finds it, however long its
     * chains and in whatever order the file gives them (a walk of the store per link was quadratic).
     */
    private static void refuseCycles(List<TaskStore.Link> links, Set<String> freshIds) {
        Map<String, List<String>> blocks = new LinkedHashMap<>();
        for (TaskStore.Link link : links) {
            if (link.from().equals(link.to())) {
                throw SwarmException.badInput("task " + link.from() + " cannot be linked to itself");
            }
            if (link.kind() == TaskStore.Kind.BLOCKS && freshIds.contains(link.from())) {
                blocks.computeIfAbsent(link.from(), id -> new ArrayList<>()).add(link.to());
            }
        }
        Map<String, Integer> state = new HashMap<>(); // absent: not seen; 1: on the path; 2: done
        for (String start : blocks.keySet()) {
            if (state.containsKey(start)) {
                continue;
            }
            List<String> path = new ArrayList<>(List.of(start));
            List<java.util.Iterator<String>> next = new ArrayList<>(List.of(blocks.getOrDefault(start, List.of()).iterator()));
            state.put(start, 1);
            while (!path.isEmpty()) {
                java.util.Iterator<String> at = next.getLast();
                if (!at.hasNext()) {
                    state.put(path.removeLast(), 2);
                    next.removeLast();
                    continue;
                }
                String to = at.next();
                Integer seen = state.get(to);
                if (seen == null) {
                    state.put(to, 1);
                    path.add(to);
                    next.add(blocks.getOrDefault(to, List.of()).iterator());
                } else if (seen == 1) {
                    List<String> cycle = new ArrayList<>(path.subList(path.indexOf(to), path.size()));
                    cycle.add(to);
                    throw SwarmException.badInput("task " + path.getLast() + " cannot block " + to + ": that would close the cycle "
                            + String.join(" -> ", cycle));
                }
            }
        }
    }

    /** The id a reference of the file names: a task of the file, or one of the queue (by id or external ref). */
    private static String idOf(Tx tx, Map<String, String> ids, String ref, Incoming of, String role) {
        String id = ids.get(ref);
        if (id != null) {
            return id;
        }
        TaskStore rows = TaskStore.in(tx);
        return (Ids.isId(ref) ? rows.task(ref) : rows.taskWithExternalRef(ref)).map(Task::id).orElseThrow(() -> SwarmException.badInput(
                "task " + of.ref() + ": its " + role + " " + ref + " is neither in the file nor in the queue"));
    }

    /** The tasks ordered so that a parent of the file comes before its sub-tasks; a loop of parents is refused. */
    private static List<Incoming> parentsFirst(List<Incoming> fresh) {
        Map<String, Incoming> freshByRef = new LinkedHashMap<>();
        fresh.forEach(task -> freshByRef.put(task.ref(), task));
        List<Incoming> ordered = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        for (Incoming task : fresh) {
            List<Incoming> chain = new ArrayList<>();
            Set<String> inChain = new HashSet<>();
            for (Incoming at = task; at != null && !placed.contains(at.ref()); at = at.parent() == null ? null : freshByRef.get(at.parent())) {
                if (!inChain.add(at.ref())) {
                    throw SwarmException.badInput("task " + at.ref() + " is its own ancestor: its parents loop");
                }
                chain.add(at);
            }
            for (int i = chain.size() - 1; i >= 0; i--) {
                placed.add(chain.get(i).ref());
                ordered.add(chain.get(i));
            }
        }
        return ordered;
    }
}
