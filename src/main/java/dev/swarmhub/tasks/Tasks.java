package dev.swarmhub.tasks;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The shared work queue. Every operation is one store transaction: a claim checks that the task
 * is ready and takes the lease on {@code task:<id>} together, so two agents never hold one task,
 * and the counts are read from the rows, never kept beside them. A claim is a lease kept while
 * its holder is active: when the holder dies, leaves, lets it expire or releases the lease, the
 * next transaction that looks (any task operation, and the hub's sweep every second) opens the
 * task again, with the reason in its history.
 */
public final class Tasks {

    /** How long a claim lasts after its holder's last call. */
    public static final Setting<Duration> CLAIM_TTL = Setting.duration("tasks.claim-ttl", Duration.ofMinutes(30))
            .checkedBy((tx, ttl) -> Limits.ttl(ttl));
    public static final List<Setting<?>> SETTINGS = List.of(CLAIM_TTL);
    public static final int MAX_TITLE = 200;
    public static final int MAX_DESCRIPTION = 16_384;
    public static final int MAX_NOTE = 1_000;
    public static final int MAX_LABELS = 20;
    public static final int MAX_LISTED = 1_000;
    private static final int MAX_HISTORY = 200;
    private static final int MAX_TREE = 500;
    private static final List<Task.Status> STORED = java.util.Arrays.stream(Task.Status.values()).filter(status -> status != Task.Status.BLOCKED).toList();
    private static final List<Task.Status> UNFINISHED = List.of(Task.Status.OPEN, Task.Status.IN_PROGRESS);
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}");

    private final Store store;
    private final Gate gate;
    /** The hub runs it every second: claims whose holder is gone open their tasks again without waiting for a task call. */
    public final Sweep housekeeping = new Sweep("lapsed task claims", this::sweep);

    public Tasks(Store store, Gate gate) {
        this.store = store;
        this.gate = gate;
    }

    /** What a creator gives; checked on construction, each error naming the field. */
    public record Draft(String title, String description, Integer priority, List<String> labels, String parent, List<String> after) {
        public Draft {
            title = Limits.visibleText("title", title == null ? "" : title.strip(), MAX_TITLE);
            if (title.isEmpty()) {
                throw SwarmException.badInput("no title given");
            }
            description = Tasks.description(description);
            priority = priority == null ? 2 : Tasks.priority(priority);
            labels = Tasks.labels(labels);
            after = after == null ? List.of() : List.copyOf(after);
        }
    }

    /** What a holder reports on its task. */
    public enum Outcome {
        PROGRESS, DONE, FAILED, RELEASED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static List<String> names() {
            return java.util.Arrays.stream(values()).map(Outcome::label).toList();
        }

        public static Outcome parse(String text) {
            for (Outcome outcome : values()) {
                if (outcome.label().equalsIgnoreCase(text == null ? "" : text.strip())) {
                    return outcome;
                }
            }
            throw SwarmException.badInput("unknown outcome '" + text + "': use " + String.join(", ", names()));
        }
    }

    /**
     * A task as a reader sees it: its status as shown (blocked when open with a blocker not done),
     * the blockers it waits for, its links, sub-tasks done and in all, and the agents active on it.
     */
    public record View(Task task, Task.Status status, List<String> waitingFor, List<String> blocks, List<String> blockedBy,
                       List<String> related, int subtasks, int subtasksDone, int activeAgents) {
    }

    /** One task with its history (its events and its claims' lease events, oldest first). */
    public record Detail(View view, List<Event> history) {
    }

    /** A claimed task and its claim's lease (its fencing token). */
    public record Claimed(View view, Lease lease) {
    }

    /** A task with its sub-tasks, recursively. */
    public record Node(View view, List<Node> subtasks) {
    }

    /**
     * The counts, all read in one transaction that includes the events up to {@code asOfEvent}:
     * tasks by shown status, per assignee by stored status, per parent (done and total sub-tasks),
     * and the agents active on each task.
     */
    public record Stats(long asOfEvent, Map<String, Long> byStatus, List<AgentCounts> byAssignee, List<ParentCounts> byParent,
                        List<TaskAgents> activeAgents) {
    }

    /** An assignee's tasks in progress (held now) and closed by it. */
    public record AgentCounts(String agent, long inProgress, long done, long failed, long cancelled) {
    }

    /** A parent's sub-tasks: done, and in all. */
    public record ParentCounts(String parent, long done, long total) {
    }

    /** How many agents (not gone) hold the task's claim now. */
    public record TaskAgents(String task, long agents) {
    }

    // ----------------------------------------------------------------------------------- creating

    public View create(Caller caller, Draft draft) {
        return store.write(tx -> {
            String creator = actor(tx, caller);
            Task parent = draft.parent() == null ? null : resolve(tx, draft.parent());
            List<Task> after = new ArrayList<>();
            for (String ref : draft.after()) {
                after.add(resolve(tx, ref));
            }
            String id = Ids.next(tx.now());
            Task task = new Task(id, draft.title(), draft.description(), Task.Status.OPEN, draft.priority(), parent == null ? null : parent.id(),
                    creator, null, null, 0, "", null, tx.now(), tx.now(), null, draft.labels());
            TaskStore.in(tx).insertTask(task);
            for (Task blocker : after) {
                TaskStore.in(tx).insertLink(new TaskStore.Link(blocker.id(), id, TaskStore.Kind.BLOCKS));
            }
            record(tx, caller, task, "task.created", "title", task.title(), "priority", task.priority(), "labels", task.labels(),
                    "parent", task.parent(), "after", after.stream().map(Task::id).toList());
            return view(tx, task);
        });
    }

    // ------------------------------------------------------------------------------------ reading

    /**
     * Tasks by priority, then age: of a shown status (open: ready), a label, the caller's own
     * (claimed or finished by it), sub-tasks of a parent; null filters nothing. Without a status,
     * the closed ones (done, failed, cancelled) only with {@code closedToo}.
     */
    public List<View> list(Caller caller, Task.Status status, String label, boolean mine, String parent, boolean closedToo, int limit) {
        int capped = Math.max(1, Math.min(limit, MAX_LISTED));
        String byLabel = label == null ? null : label(label);
        String assignee = mine ? caller.agentId() : null;
        return store.write(tx -> {
            actor(tx, caller);
            TaskStore.Filter filter = new TaskStore.Filter(status, byLabel, assignee, parent == null ? null : resolve(tx, parent).id(), closedToo);
            return views(tx, TaskStore.in(tx).tasks(filter, capped));
        });
    }

    public Detail show(Caller caller, String ref) {
        return store.write(tx -> {
            actor(tx, caller);
            Task task = resolve(tx, ref);
            return new Detail(view(tx, task), TaskStore.in(tx).history(task.id(), MAX_HISTORY));
        });
    }

    /** The task and its sub-tasks, recursively (at most {@value #MAX_TREE} tasks, read level by level). */
    public Node tree(Caller caller, String ref) {
        return store.write(tx -> {
            actor(tx, caller);
            Task root = resolve(tx, ref);
            Map<String, Task> reached = new java.util.LinkedHashMap<>(Map.of(root.id(), root));
            Map<String, List<String>> children = new HashMap<>();
            List<String> level = List.of(root.id());
            while (!level.isEmpty() && reached.size() < MAX_TREE) {
                List<String> next = new ArrayList<>();
                for (Task child : TaskStore.in(tx).subtasks(level)) {
                    if (reached.size() < MAX_TREE && reached.putIfAbsent(child.id(), child) == null) {
                        children.computeIfAbsent(child.parent(), parent -> new ArrayList<>()).add(child.id());
                        next.add(child.id());
                    }
                }
                level = next;
            }
            Map<String, View> views = views(tx, List.copyOf(reached.values())).stream()
                    .collect(Collectors.toMap(view -> view.task().id(), view -> view));
            return node(root.id(), views, children);
        });
    }

    private static Node node(String id, Map<String, View> views, Map<String, List<String>> children) {
        return new Node(views.get(id), children.getOrDefault(id, List.of()).stream().map(child -> node(child, views, children)).toList());
    }

    public Stats stats(Caller caller) {
        return store.write(tx -> {
            actor(tx, caller);
            Map<String, Long> byStatus = new java.util.LinkedHashMap<>();
            for (Task.Status status : Task.Status.values()) {
                byStatus.put(status.label(), 0L);
            }
            TaskStore.in(tx).countByStatus(STORED).forEach(count -> byStatus.put(count.key(), count.count()));
            Map<String, Map<String, Long>> perAgent = grouped(TaskStore.in(tx).countByAssignee());
            Map<String, Map<String, Long>> perParent = grouped(TaskStore.in(tx).countByParent(null));
            return new Stats(TaskStore.in(tx).lastEventId(), byStatus,
                    perAgent.entrySet().stream().map(agent -> new AgentCounts(agent.getKey(), agent.getValue().getOrDefault("in-progress", 0L),
                            agent.getValue().getOrDefault("done", 0L), agent.getValue().getOrDefault("failed", 0L),
                            agent.getValue().getOrDefault("cancelled", 0L))).toList(),
                    perParent.entrySet().stream().map(parent -> new ParentCounts(parent.getKey(), parent.getValue().getOrDefault("done", 0L),
                            parent.getValue().getOrDefault("total", 0L))).toList(),
                    TaskStore.in(tx).countActiveAgents(null).stream().map(count -> new TaskAgents(count.key(), count.count())).toList());
        });
    }

    /** Counts by key, then by status, keys in order. */
    private static Map<String, Map<String, Long>> grouped(List<TaskStore.Count> counts) {
        Map<String, Map<String, Long>> grouped = new java.util.TreeMap<>();
        counts.forEach(count -> grouped.computeIfAbsent(count.key(), key -> new HashMap<>()).put(count.status(), count.count()));
        return grouped;
    }

    // ----------------------------------------------------------------------------------- claiming

    /**
     * Claims the task named, or, with none named, the next ready one (by priority, then age; of
     * the label when given). The task must be ready; the claim is the lease on {@code task:<id>},
     * kept while the agent is active, for {@code ttl} after its last call. Claiming a task the
     * agent holds already renews its claim.
     */
    public Claimed claim(Caller caller, String ref, String label, Duration ttl) {
        String agent = caller.agentId();
        if (ref != null && label != null) {
            throw SwarmException.badInput("give a task or a label to pick the next ready task by, not both");
        }
        String byLabel = label == null ? null : label(label);
        return store.write(tx -> {
            actor(tx, caller);
            Duration kept = ttl == null ? CLAIM_TTL.in(tx) : Limits.ttl(ttl);
            Task task;
            Task.Status shown;
            if (ref != null) {
                task = resolve(tx, ref);
                shown = shown(tx, task);
            } else { // the ready query found it: open, nothing blocking it
                task = TaskStore.in(tx).tasks(new TaskStore.Filter(Task.Status.OPEN, byLabel, null, null, false), 1).stream().findFirst()
                        .orElseThrow(() -> SwarmException.denied("no task is ready" + (byLabel == null ? ": " : " with label " + byLabel
                                + "; of all labels: ") + summary(tx)));
                shown = Task.Status.OPEN;
            }
            if (shown == Task.Status.IN_PROGRESS && agent.equals(task.assignee())) {
                Lease renewed = Leases.claim(tx, request(caller, task, kept), kept);
                return new Claimed(view(tx, task), renewed);
            }
            if (shown != Task.Status.OPEN) {
                throw SwarmException.denied("task " + task.id() + " is not ready: " + notReady(tx, task, shown));
            }
            Lease lease;
            try {
                lease = Leases.claim(tx, request(caller, task, kept), kept);
            } catch (LeaseConflictException held) {
                throw SwarmException.denied("task " + task.id() + " is not ready: its claim is held by "
                        + held.conflicts().stream().map(c -> c.held().agent()).distinct().collect(Collectors.joining(", ")));
            }
            Task claimed = task.with(Task.Status.IN_PROGRESS, agent, lease.token(), task.progress(), task.note(), tx.now(), null);
            TaskStore.in(tx).updateTask(claimed);
            record(tx, caller, claimed, "task.claimed", "token", lease.token(), "keptFor", Durations.format(kept));
            return new Claimed(view(tx, claimed), lease);
        });
    }

    /**
     * The task a new worker is spawned for (the processes domain): its id when it is open or in
     * progress; refused, saying why, when it is closed or blocked.
     */
    public static String workable(Tx tx, String ref) {
        Task task = resolve(tx, ref);
        Task.Status shown = shown(tx, task);
        if (shown != Task.Status.OPEN && shown != Task.Status.IN_PROGRESS) {
            throw SwarmException.denied("task " + task.id() + " has no work to join: " + notReady(tx, task, shown));
        }
        return task.id();
    }

    /** The full id of the task an id or unique prefix names (the processes domain's filter by task). */
    public static String resolveId(Tx tx, String ref) {
        return resolve(tx, ref).id();
    }

    private static Leases.Request request(Caller caller, Task task, Duration ttl) {
        return new Leases.Request(caller, List.of(Resource.ofTask(task.id())), Mode.EXCLUSIVE, ttl, "task: " + task.title());
    }

    /** Why a task that is not open cannot be claimed. */
    private static String notReady(Tx tx, Task task, Task.Status shown) {
        return switch (shown) {
            case BLOCKED -> "it waits for " + TaskStore.in(tx).unfinishedBlockers(List.of(task.id())).stream()
                    .map(blocker -> blocker.blocker() + " (" + blocker.status().label() + ")").collect(Collectors.joining(", "));
            case IN_PROGRESS -> "it is claimed by " + task.assignee() + " since " + Instant.ofEpochMilli(task.updatedAt());
            default -> "it is " + shown.label() + "; reopen it first"; // closed: done, failed or cancelled
        };
    }

    /**
     * "3 blocked, 2 in-progress" for a refusal of the next task: the unfinished tasks only, read
     * through the status index, so that agents polling an empty queue cost little however many
     * tasks are closed.
     */
    private static String summary(Tx tx) {
        String counts = TaskStore.in(tx).countByStatus(UNFINISHED).stream().map(count -> count.count() + " " + count.key())
                .collect(Collectors.joining(", "));
        return counts.isEmpty() ? "no task is open or in progress" : counts;
    }

    // ---------------------------------------------------------------------------------- reporting

    /**
     * The holder (or the operator) reports on its task: progress (percent and note), done (a
     * note), failed (the reason) or released (open again). With a fencing token, a report for an
     * earlier claim (the token of a lease since lost) is refused.
     */
    public View report(Caller caller, String ref, Outcome outcome, Long percent, String note, Long token) {
        if (outcome == null) {
            throw SwarmException.badInput("no outcome given: use " + String.join(", ", Outcome.names()));
        }
        String text = note == null ? "" : Limits.visibleText("note", note.strip(), MAX_NOTE);
        if (outcome == Outcome.PROGRESS && (percent == null || percent < 0 || percent > 100)) {
            throw SwarmException.badInput("progress needs a percent from 0 to 100" + (percent == null ? "" : ", not " + percent));
        }
        if (outcome != Outcome.PROGRESS && percent != null) {
            throw SwarmException.badInput("a percent goes with progress only");
        }
        if (outcome == Outcome.FAILED && text.isEmpty()) {
            throw SwarmException.badInput("a failure needs its reason");
        }
        return store.write(tx -> {
            actor(tx, caller);
            Task task = resolve(tx, ref);
            boolean operatorClosing = caller.operator() && (outcome == Outcome.DONE || outcome == Outcome.FAILED) && !task.status().closed();
            if (!operatorClosing) {
                checkHolder(tx, caller, task, "report " + outcome.label() + " on", token);
            } else {
                checkFencing(task, "report " + outcome.label() + " on", token);
            }
            Task changed = switch (outcome) {
                case PROGRESS -> task.with(task.status(), task.assignee(), task.claimToken(), percent.intValue(), text, tx.now(), null);
                case DONE -> task.with(Task.Status.DONE, task.assignee(), null, 100, text, tx.now(), tx.now());
                case FAILED -> task.with(Task.Status.FAILED, task.assignee(), null, task.progress(), text, tx.now(), tx.now());
                case RELEASED -> task.with(Task.Status.OPEN, null, null, task.progress(), text.isEmpty() ? task.note() : text, tx.now(), null);
            };
            TaskStore.in(tx).updateTask(changed);
            if (outcome != Outcome.PROGRESS) {
                endClaim(tx, task, outcome.label());
            }
            String kind = outcome == Outcome.PROGRESS ? "task.progress" : "task." + outcome.label();
            record(tx, caller, changed, kind, "progress", changed.progress(), "note", text);
            return view(tx, changed);
        });
    }

    /**
     * Only the agent holding the task's claim may act on it as its holder (or the operator); a
     * fencing token given must be the current claim's.
     */
    private static void checkHolder(Tx tx, Caller caller, Task task, String action, Long token) {
        String who = caller.operator() ? Caller.OPERATOR_ID : caller.agentId();
        if (task.status() != Task.Status.IN_PROGRESS) {
            throw SwarmException.denied("cannot " + action + " task " + task.id() + ": it is " + shown(tx, task).label()
                    + ", claimed by nobody" + lastLapse(tx, task));
        }
        if (!caller.operator() && !who.equals(task.assignee())) {
            throw SwarmException.denied("cannot " + action + " task " + task.id() + ": it is claimed by " + task.assignee() + ", not by " + who);
        }
        checkFencing(task, action, token);
    }

    /** A fencing token given must be the current claim's: an operator closing a task with one is checked too. */
    private static void checkFencing(Task task, String action, Long token) {
        if (token != null && !token.equals(task.claimToken())) {
            throw SwarmException.denied("cannot " + action + " task " + task.id() + ": fencing token " + token + " is stale; "
                    + (task.claimToken() == null ? "it is not claimed" : "the current claim (" + task.assignee() + ") has token " + task.claimToken()));
        }
    }

    /** "; its last claim lapsed: why" when the task's claim ended on its own lately. */
    private static String lastLapse(Tx tx, Task task) {
        return TaskStore.in(tx).history(task.id(), 1).stream().filter(event -> event.kind().equals("task.lapsed"))
                .map(event -> "; its claim by " + event.details().get("was") + " lapsed: " + event.details().get("reason")).findFirst().orElse("");
    }

    /** Releases the claim's lease, if still there. */
    private static void endClaim(Tx tx, Task task, String why) {
        if (task.assignee() != null && task.status() == Task.Status.IN_PROGRESS) {
            Leases.releaseIn(tx, task.assignee(), Resource.ofTask(task.id()), "task " + why);
        }
    }

    /**
     * Operator: gives a ready or claimed task to an active agent, in one transaction: a current claim
     * ends, and the agent's claim (its lease on task:ID, with a new fencing token) is kept while it
     * is active, as if it had claimed the task itself.
     */
    public Claimed assign(Caller operator, String ref, String agent, String reason) {
        operator.requireOperator("assign tasks");
        Limits.agentId(agent);
        String why = Limits.reason(reason).strip();
        return store.write(tx -> {
            actor(tx, operator);
            Task task = resolve(tx, ref);
            Task.Status shown = shown(tx, task);
            if (shown != Task.Status.OPEN && shown != Task.Status.IN_PROGRESS) {
                throw SwarmException.denied("cannot assign task " + task.id() + ": " + notReady(tx, task, shown));
            }
            if (AgentStore.in(tx).agent(agent).filter(found -> found.status() == Agent.Status.ACTIVE).isEmpty()) {
                throw SwarmException.denied("cannot assign task " + task.id() + " to " + agent + ": no active agent of that id");
            }
            if (agent.equals(task.assignee())) {
                throw SwarmException.denied("task " + task.id() + " is already claimed by " + agent);
            }
            endClaim(tx, task, "reassigned");
            Duration kept = CLAIM_TTL.in(tx);
            Lease lease = Leases.claim(tx, request(Caller.ofAgent(agent, null), task, kept), kept);
            Task assigned = task.with(Task.Status.IN_PROGRESS, agent, lease.token(), task.progress(), why.isEmpty() ? task.note() : why,
                    tx.now(), null);
            TaskStore.in(tx).updateTask(assigned);
            record(tx, operator, assigned, "task.assigned", "to", agent, "was", task.assignee(), "token", lease.token(), "reason", why);
            return new Claimed(view(tx, assigned), lease);
        });
    }

    /** Cancels a task that is not done; a claimed one only by its holder or the operator. */
    public View cancel(Caller caller, String ref, String reason) {
        String why = Limits.reason(reason).strip();
        return store.write(tx -> {
            actor(tx, caller);
            Task task = resolve(tx, ref);
            if (task.status() == Task.Status.DONE || task.status() == Task.Status.CANCELLED) {
                throw SwarmException.denied("cannot cancel task " + task.id() + ": it is " + task.status().label());
            }
            if (task.status() == Task.Status.IN_PROGRESS) {
                checkHolder(tx, caller, task, "cancel", null);
                endClaim(tx, task, "cancelled");
            }
            Task cancelled = task.with(Task.Status.CANCELLED, task.assignee(), null, task.progress(), why.isEmpty() ? task.note() : why,
                    tx.now(), tx.now());
            TaskStore.in(tx).updateTask(cancelled);
            record(tx, caller, cancelled, "task.cancelled", "reason", why);
            return view(tx, cancelled);
        });
    }

    /** Opens a closed task again (done, failed or cancelled); unclaimed. */
    public View reopen(Caller caller, String ref, String reason) {
        String why = Limits.reason(reason).strip();
        return store.write(tx -> {
            actor(tx, caller);
            Task task = resolve(tx, ref);
            if (!task.status().closed()) {
                throw SwarmException.denied("cannot reopen task " + task.id() + ": it is " + shown(tx, task).label() + ", not closed");
            }
            int progress = task.status() == Task.Status.DONE ? 0 : task.progress(); // done is 100%: a reopened task starts again
            Task reopened = task.with(Task.Status.OPEN, null, null, progress, why.isEmpty() ? task.note() : why, tx.now(), null);
            TaskStore.in(tx).updateTask(reopened);
            record(tx, caller, reopened, "task.reopened", "reason", why, "was", task.status().label());
            return view(tx, reopened);
        });
    }

    // ------------------------------------------------------------------------------------ linking

    /**
     * Links two tasks: {@code task} blocks {@code other} (other cannot start before task is done),
     * or they are related. A link that would close a cycle of blocks is refused, naming it.
     */
    public View link(Caller caller, String ref, String otherRef, TaskStore.Kind kind) {
        return store.write(tx -> {
            actor(tx, caller);
            TaskStore.Link link = linkOf(tx, ref, otherRef, kind);
            refuseCycle(tx, link);
            addLink(tx, caller, link);
            return view(tx, TaskStore.in(tx).task(link.from()).orElseThrow());
        });
    }

    public View unlink(Caller caller, String ref, String otherRef, TaskStore.Kind kind) {
        return store.write(tx -> {
            actor(tx, caller);
            TaskStore.Link link = linkOf(tx, ref, otherRef, kind);
            boolean removed = TaskStore.in(tx).deleteLink(link)
                    || kind == TaskStore.Kind.RELATED && TaskStore.in(tx).deleteLink(new TaskStore.Link(link.to(), link.from(), kind));
            if (!removed) {
                throw SwarmException.badInput("task " + link.from() + (kind == TaskStore.Kind.BLOCKS ? " does not block " : " is not related to ")
                        + link.to());
            }
            Task task = TaskStore.in(tx).task(link.from()).orElseThrow();
            record(tx, caller, task, "task.unlinked", kind.name().toLowerCase(java.util.Locale.ROOT), link.to());
            return view(tx, task);
        });
    }

    private static TaskStore.Link linkOf(Tx tx, String ref, String otherRef, TaskStore.Kind kind) {
        if (kind == null) {
            throw SwarmException.badInput("give the other task as blocks or related");
        }
        Task task = resolve(tx, ref);
        Task other = resolve(tx, otherRef);
        if (task.id().equals(other.id())) {
            throw SwarmException.badInput("task " + task.id() + " cannot be linked to itself");
        }
        return new TaskStore.Link(task.id(), other.id(), kind);
    }

    /**
     * Adds the link unless it is there (a related link is there also when given the other way),
     * with its {@code task.linked} event; false when it was there. Cycles are the caller's check.
     */
    static boolean addLink(Tx tx, Caller caller, TaskStore.Link link) {
        TaskStore rows = TaskStore.in(tx);
        if (link.kind() == TaskStore.Kind.RELATED
                && rows.links(List.of(link.to())).contains(new TaskStore.Link(link.to(), link.from(), TaskStore.Kind.RELATED))
                || !rows.insertLink(link)) {
            return false;
        }
        record(tx, caller, rows.task(link.from()).orElseThrow(), "task.linked", link.kind().name().toLowerCase(java.util.Locale.ROOT), link.to());
        return true;
    }

    /** Refuses a blocks link that would close a cycle, naming it. */
    static void refuseCycle(Tx tx, TaskStore.Link link) {
        List<String> cycle = link.kind() == TaskStore.Kind.BLOCKS ? path(tx, link.to(), link.from()) : null;
        if (cycle != null) {
            List<String> closed = new ArrayList<>(List.of(link.from()));
            closed.addAll(cycle);
            throw SwarmException.badInput("task " + link.from() + " cannot block " + link.to() + ": that would close the cycle "
                    + String.join(" -> ", closed));
        }
    }

    /** A path of blocks links from one task to another (both ends included), or null when there is none. */
    private static List<String> path(Tx tx, String from, String to) {
        Map<String, String> reachedFrom = new HashMap<>();
        Deque<String> frontier = new ArrayDeque<>(List.of(from));
        reachedFrom.put(from, null);
        while (!frontier.isEmpty()) {
            String at = frontier.poll();
            if (at.equals(to)) {
                List<String> path = new ArrayList<>();
                for (String step = to; step != null; step = reachedFrom.get(step)) {
                    path.add(0, step);
                }
                return path;
            }
            for (String next : TaskStore.in(tx).blockedTasks(at)) {
                if (!reachedFrom.containsKey(next)) {
                    reachedFrom.put(next, at);
                    frontier.add(next);
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------- import, export

    /** Adds the tasks of a file in one transaction, all or none; those already here are left as they are ({@link TaskTransfer}). */
    public TaskTransfer.Imported importTasks(Caller caller, List<TaskTransfer.Incoming> incoming) {
        return store.write(tx -> TaskTransfer.importAll(tx, caller, actor(tx, caller), incoming));
    }

    /** Every task, oldest first, with every link. */
    public TaskTransfer.Export export(Caller caller) {
        return store.write(tx -> {
            actor(tx, caller);
            return TaskTransfer.export(tx);
        });
    }

    // -------------------------------------------------------------------------------- claims lapse

    /** Opens again the tasks whose claim lapsed; the hub's timer calls it every second. */
    public void sweep() {
        if (!store.read(tx -> TaskStore.in(tx).lapsedClaims()).isEmpty()) {
            store.write(tx -> {
                lapse(tx);
                return null;
            });
        }
    }

    /**
     * Every task operation starts here: the caller is admitted, dead agents are moved along (their
     * leases released), and tasks whose claim has no live lease any more are open again, each with
     * why in its history. Returns who acts: the agent, or the operator.
     */
    private String actor(Tx tx, Caller caller) {
        gate.admit(tx, caller);
        lapse(tx);
        return caller.operator() ? Caller.OPERATOR_ID : caller.agentId();
    }

    private static void lapse(Tx tx) {
        for (Task task : TaskStore.in(tx).lapsedClaims()) {
            String why = lapseReason(tx, task);
            Task reopened = task.with(Task.Status.OPEN, null, null, task.progress(), task.note(), tx.now(), null);
            TaskStore.in(tx).updateTask(reopened);
            tx.appendEvent("task.lapsed", null, Resource.ofTask(task.id()).text(), OrderedMap.of("status", Task.Status.OPEN.label(),
                    "was", task.assignee(), "token", task.claimToken(), "reason", why));
        }
    }

    private static String lapseReason(Tx tx, Task task) {
        Resource claim = Resource.ofTask(task.id());
        Optional<Lease> left = LeaseStore.in(tx).leaseOf(task.assignee(), claim).filter(lease -> Objects.equals(lease.token(), task.claimToken()));
        if (left.isPresent()) {
            return "the claim of " + task.assignee() + " expired at " + Instant.ofEpochMilli(left.get().expiresAt()) + " (no call since)";
        }
        return TaskStore.in(tx).lastLeaseEnd(task.assignee(), claim.text(), task.claimToken()).map(end -> switch (end.kind()) {
            case "lease.expired" -> "the claim of " + task.assignee() + " expired at "
                    + Instant.ofEpochMilli(end.details().get("expiresAt") instanceof Number expiry ? expiry.longValue() : end.at()) + " (no call since)";
            case "lease.released" -> task.assignee() + " released the lease " + claim.text();
            default -> "the claim of " + task.assignee() + " was released: " + end.details().getOrDefault("reason", "by the operator");
        }).orElse("the claim of " + task.assignee() + " ended");
    }

    // ------------------------------------------------------------------------------------ helpers

    /** Appends the task's event: its resource is the task's claim, so a task's history is one index lookup. */
    static void record(Tx tx, Caller caller, Task task, String kind, Object... details) {
        Map<String, Object> all = OrderedMap.of("status", task.status().label());
        Map<String, Object> more = OrderedMap.of(details);
        all.putAll(more);
        if (task.assignee() != null) {
            all.put("assignee", task.assignee());
        }
        tx.appendEvent(kind, caller.operator() ? null : caller.agent(), Resource.ofTask(task.id()).text(), all);
    }

    /** The status a reader sees: blocked when open with a blocker not done. */
    private static Task.Status shown(Tx tx, Task task) {
        return task.status() == Task.Status.OPEN && !TaskStore.in(tx).unfinishedBlockers(List.of(task.id())).isEmpty() ? Task.Status.BLOCKED
                : task.status();
    }

    static View view(Tx tx, Task task) {
        return views(tx, List.of(task)).getFirst();
    }

    /** The tasks as readers see them, in their order: four queries however many tasks. */
    static List<View> views(Tx tx, List<Task> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        TaskStore rows = TaskStore.in(tx);
        List<String> ids = tasks.stream().map(Task::id).toList();
        Map<String, List<String>> unfinished = rows.unfinishedBlockers(ids).stream().collect(Collectors.groupingBy(TaskStore.Blocker::task,
                Collectors.mapping(TaskStore.Blocker::blocker, Collectors.toList())));
        Map<String, List<TaskStore.Link>> links = new HashMap<>();
        for (TaskStore.Link link : rows.links(ids)) {
            links.computeIfAbsent(link.from(), id -> new ArrayList<>()).add(link);
            links.computeIfAbsent(link.to(), id -> new ArrayList<>()).add(link);
        }
        Map<String, Map<String, Long>> subtasks = grouped(rows.countByParent(ids));
        Map<String, Long> agents = rows.countActiveAgents(ids).stream().collect(Collectors.toMap(TaskStore.Count::key, TaskStore.Count::count));
        return tasks.stream().map(task -> {
            String id = task.id();
            List<String> waitingFor = task.status() == Task.Status.OPEN || task.status() == Task.Status.IN_PROGRESS
                    ? unfinished.getOrDefault(id, List.of()) : List.of();
            List<TaskStore.Link> own = links.getOrDefault(id, List.of());
            List<String> blocks = own.stream().filter(l -> l.kind() == TaskStore.Kind.BLOCKS && l.from().equals(id)).map(TaskStore.Link::to).toList();
            List<String> blockedBy = own.stream().filter(l -> l.kind() == TaskStore.Kind.BLOCKS && l.to().equals(id)).map(TaskStore.Link::from).toList();
            List<String> related = own.stream().filter(l -> l.kind() == TaskStore.Kind.RELATED).map(l -> l.from().equals(id) ? l.to() : l.from()).toList();
            Map<String, Long> children = subtasks.getOrDefault(id, Map.of());
            Task.Status status = task.status() == Task.Status.OPEN && !waitingFor.isEmpty() ? Task.Status.BLOCKED : task.status();
            return new View(task, status, waitingFor, blocks, blockedBy, related, children.getOrDefault("total", 0L).intValue(),
                    children.getOrDefault("done", 0L).intValue(), agents.getOrDefault(id, 0L).intValue());
        }).toList();
    }

    /** A task by its id or a unique prefix of 6 or more characters (case-insensitive). */
    static Task resolve(Tx tx, String ref) {
        String id = Ids.resolve("task", ref, TaskStore.in(tx)::taskIdsStartingWith);
        return TaskStore.in(tx).task(id).orElseThrow();
    }

    static String description(String text) {
        if (text == null) {
            return "";
        }
        text = text.replace("\r\n", "\n"); // Windows line ends are line ends
        if (text.length() > MAX_DESCRIPTION) {
            throw SwarmException.badInput("description is " + text.length() + " characters; at most " + MAX_DESCRIPTION);
        }
        text.codePoints().filter(c -> c != '\n' && c != '\t' && Limits.unsafeInLine(c)).findFirst().ifPresent(c -> {
            throw SwarmException.badInput("description contains " + Limits.describe(c) + ": remove it");
        });
        return text.strip();
    }

    public static int priority(long priority) {
        if (priority < 0 || priority > 4) {
            throw SwarmException.badInput("priority " + priority + " is out of range: use 0 (first) to 4 (last)");
        }
        return (int) priority;
    }

    static List<String> labels(List<String> labels) {
        if (labels == null) {
            return List.of();
        }
        List<String> distinct = labels.stream().map(Tasks::label).distinct().sorted().toList();
        if (distinct.size() > MAX_LABELS) {
            throw SwarmException.badInput(distinct.size() + " labels; at most " + MAX_LABELS);
        }
        return distinct;
    }

    static String label(String label) {
        String stripped = label == null ? "" : label.strip();
        if (!LABEL.matcher(stripped).matches()) {
            throw SwarmException.badInput("bad label '" + label + "': use 1-64 letters, digits and _ . : / + - (starting with a letter or digit)");
        }
        return stripped;
    }
}
