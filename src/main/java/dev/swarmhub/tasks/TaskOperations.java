package dev.swarmhub.tasks;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.List;

/** The task operations as every adapter offers them: arguments with their defaults and limits, and what each does. */
public final class TaskOperations {

    public record Create(
            @Doc(value = "What to do", required = true) String title,
            @Doc("Details") String description,
            @Doc("0 (first) to 4; default 2") Long priority,
            @Doc("Labels") List<String> label,
            @Doc("Parent task") String parent,
            @Doc("Tasks to finish first") List<String> after) {

        Tasks.Draft draft() {
            return new Tasks.Draft(title, description, priority == null ? null : Tasks.priority(priority), label, parent, after);
        }
    }

    public record Listing(
            @Doc("Shown status (open: ready)") Task.Status status,
            @Doc("Only ready ones") Boolean ready,
            @Doc("Only yours") Boolean mine,
            @Doc("With this label") String label,
            @Doc("Sub-tasks of this task") String parent,
            @Doc("Closed ones too (done, failed, cancelled)") Boolean all,
            @Doc("At most (default 100)") Integer limit) {
        public Listing {
            if (Boolean.TRUE.equals(ready) && status != null && status != Task.Status.OPEN) {
                throw SwarmException.badInput("ready tasks are open ones: give ready or status " + status.label() + ", not both");
            }
            limit = limit == null ? 100 : limit;
        }
    }

    /** One task, by its id or a unique prefix of it. */
    public record One(@Doc(value = "Task id or unique prefix", required = true) String task) {
    }

    public record Claim(
            @Doc("Task id; none: the next ready") String task,
            @Doc("Next ready with this label") String label,
            @Doc(value = "Claim lasts this long after your last call (default 30m)", example = "1h") Duration ttl) {
    }

    public record Report(
            @Doc(value = "Task id or unique prefix", required = true) String task,
            @Doc(value = "What to report", required = true) Tasks.Outcome outcome,
            @Doc("0-100, with progress") Long percent,
            @Doc("Note; the reason if failed") String note,
            @Doc("The claim's fencing token (stale: refused)") Long fencing) {
    }

    public record Change(
            @Doc(value = "Task id or unique prefix", required = true) String task,
            @Doc("Why") String reason) {
    }

    public record Assign(
            @Doc(value = "Task id or unique prefix", required = true) String task,
            @Doc(value = "The agent to give it to", required = true) String agent,
            @Doc("Why") String reason) {
    }

    public record Link(
            @Doc(value = "Task id or unique prefix", required = true) String task,
            @Doc("The task that waits for this one") String blocks,
            @Doc("A task related to this one") String related) {
        public Link {
            if ((blocks == null) == (related == null)) {
                throw SwarmException.badInput("give one of blocks or related: the other task of the link");
            }
        }

        String other() {
            return blocks != null ? blocks : related;
        }

        TaskStore.Kind kind() {
            return blocks != null ? TaskStore.Kind.BLOCKS : TaskStore.Kind.RELATED;
        }
    }

    /** No arguments. */
    public record None() {
    }

    public final Operation<Create, Tasks.View> create;
    public final Operation<Listing, List<Tasks.View>> list;
    public final Operation<One, Tasks.Detail> show;
    public final Operation<One, Tasks.Node> tree;
    public final Operation<Claim, Tasks.Claimed> claim;
    public final Operation<Report, Tasks.View> report;
    public final Operation<Change, Tasks.View> cancel;
    public final Operation<Change, Tasks.View> reopen;
    public final Operation<Assign, Tasks.Claimed> assign;
    public final Operation<Link, Tasks.View> link;
    public final Operation<Link, Tasks.View> unlink;
    public final Operation<None, Tasks.Stats> stats;

    public TaskOperations(Tasks tasks) {
        create = new Operation<>("task.create", "Add a task to the shared queue.", Create.class, true, Effect.ADD,
                (caller, a) -> tasks.create(caller, a.draft()));
        list = new Operation<>("task.list", "Tasks by priority, then age.", Listing.class, true, Effect.READ,
                (caller, a) -> tasks.list(caller, Boolean.TRUE.equals(a.ready()) ? Task.Status.OPEN : a.status(), a.label(),
                        Boolean.TRUE.equals(a.mine()), a.parent(), Boolean.TRUE.equals(a.all()), a.limit()));
        show = new Operation<>("task.show", "A task with its links and history.", One.class, true, Effect.READ, (caller, a) -> tasks.show(caller, a.task()));
        tree = new Operation<>("task.tree", "A task and its sub-tasks.", One.class, true, Effect.READ, (caller, a) -> tasks.tree(caller, a.task()));
        claim = new Operation<>("task.claim", "Claim a task, or the next ready one (a lease).", Claim.class, true, Effect.ADD,
                (caller, a) -> tasks.claim(caller, a.task(), a.label(), a.ttl()));
        report = new Operation<>("task.report", "Report on your claimed task.", Report.class, true, Effect.MIXED,
                (caller, a) -> tasks.report(caller, a.task(), a.outcome(), a.percent(), a.note(), a.fencing()));
        cancel = new Operation<>("task.cancel", "Cancel a task that is not done.", Change.class, true, Effect.REMOVE,
                (caller, a) -> tasks.cancel(caller, a.task(), a.reason()));
        assign = new Operation<>("task.assign", "Operator: give a ready or claimed task to an active agent (its claim, as if it had claimed it).",
                Assign.class, true, Effect.SET, (caller, a) -> tasks.assign(caller, a.task(), a.agent(), a.reason()));
        reopen = new Operation<>("task.reopen", "Open a closed task again.", Change.class, true, Effect.SET,
                (caller, a) -> tasks.reopen(caller, a.task(), a.reason()));
        link = new Operation<>("task.link", "Link tasks: this one blocks another, or is related to it.", Link.class, true, Effect.SET,
                (caller, a) -> tasks.link(caller, a.task(), a.other(), a.kind()));
        unlink = new Operation<>("task.unlink", "Remove a link between tasks.", Link.class, true, Effect.REMOVE,
                (caller, a) -> tasks.unlink(caller, a.task(), a.other(), a.kind()));
        stats = new Operation<>("task.stats", "Counts by status, assignee, parent; agents per task.", None.class, true, Effect.READ,
                (caller, a) -> tasks.stats(caller));
    }
}
