package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.ClaimedTaskView;
import dev.swarmhub.hub.JsonViews.TaskDetailView;
import dev.swarmhub.hub.JsonViews.TaskStatsView;
import dev.swarmhub.hub.JsonViews.TaskTreeView;
import dev.swarmhub.hub.JsonViews.TaskView;
import dev.swarmhub.hub.JsonViews.TasksView;
import dev.swarmhub.tasks.TaskOperations;
import dev.swarmhub.tasks.TaskOperations.Assign;
import dev.swarmhub.tasks.TaskOperations.Change;
import dev.swarmhub.tasks.TaskOperations.Claim;
import dev.swarmhub.tasks.TaskOperations.Create;
import dev.swarmhub.tasks.TaskOperations.Link;
import dev.swarmhub.tasks.TaskOperations.Listing;
import dev.swarmhub.tasks.TaskOperations.None;
import dev.swarmhub.tasks.TaskOperations.One;
import dev.swarmhub.tasks.TaskOperations.Report;
import dev.swarmhub.tasks.Tasks;
import java.util.List;

/** The task operations with their views, as the CLI, HTTP and MCP expose them. */
public final class TaskEndpoints {

    public final Exposed<Create, Tasks.View> create;
    public final Exposed<Listing, List<Tasks.View>> list;
    public final Exposed<One, Tasks.Detail> show;
    public final Exposed<One, Tasks.Node> tree;
    public final Exposed<Claim, Tasks.Claimed> claim;
    public final Exposed<Report, Tasks.View> report;
    public final Exposed<Change, Tasks.View> cancel;
    public final Exposed<Change, Tasks.View> reopen;
    public final Exposed<Assign, Tasks.Claimed> assign;
    public final Exposed<Link, Tasks.View> link;
    public final Exposed<Link, Tasks.View> unlink;
    public final Exposed<None, Tasks.Stats> stats;

    public TaskEndpoints(TaskOperations operations) {
        create = Exposed.creating(operations.create, TaskView.class, JsonViews::task, null);
        list = Exposed.of(operations.list, TasksView.class, (a, views) -> JsonViews.tasks(views));
        show = Exposed.of(operations.show, TaskDetailView.class, (a, detail) -> JsonViews.taskDetail(detail));
        tree = Exposed.of(operations.tree, TaskTreeView.class, (a, root) -> JsonViews.tree(root));
        claim = Exposed.of(operations.claim, ClaimedTaskView.class, (a, claimed) -> JsonViews.claimed(claimed));
        report = Exposed.of(operations.report, TaskView.class, (a, view) -> JsonViews.task(view));
        cancel = Exposed.of(operations.cancel, TaskView.class, (a, view) -> JsonViews.task(view));
        assign = Exposed.of(operations.assign, ClaimedTaskView.class, (a, claimed) -> JsonViews.claimed(claimed));
        reopen = Exposed.of(operations.reopen, TaskView.class, (a, view) -> JsonViews.task(view));
        link = Exposed.of(operations.link, TaskView.class, (a, view) -> JsonViews.task(view));
        unlink = Exposed.of(operations.unlink, TaskView.class, (a, view) -> JsonViews.task(view));
        stats = Exposed.of(operations.stats, TaskStatsView.class, (a, stats) -> JsonViews.taskStats(stats));
    }
}
