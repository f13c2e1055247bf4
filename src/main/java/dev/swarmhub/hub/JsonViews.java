package dev.swarmhub.hub;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.JsonSchemas.Field;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.plan.Plan;
import dev.swarmhub.plan.Section;
import dev.swarmhub.plan.VersionConflictException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.Waiter;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.processes.Run;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.Tasks;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON shape of every result, shared by the CLI's --json output, the HTTP API and MCP: each
 * a record that Jackson writes in component order, and whose JSON schema (in the OpenAPI
 * document) is derived from the same record ({@link JsonSchemas}). A component marked
 * {@code @JsonInclude(NON_NULL)} is written only when it has a value.
 */
public final class JsonViews {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonViews() {
    }

    public static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    public static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    // ------------------------------------------------------------------------------------ leases

    public record LeaseView(long id, String resource, @Field(valuesOf = Resource.Kind.class) String kind,
            @Field(valuesOf = Mode.class) String mode, String agent,
            @Field("fencing token: larger than any granted before; a renewal keeps it") long token, String reason,
            Instant acquiredAt, Instant expiresAt) {
    }

    /** A released lease; one that had expired says so, with who holds its resource now. */
    public record ReleasedLeaseView(@JsonUnwrapped LeaseView lease,
            @JsonInclude(Include.NON_NULL) @Field("true, only when the lease had expired before it was released") Boolean hadExpired,
            @JsonInclude(Include.NON_NULL) @Field("with hadExpired: the agents whose leases overlap its resource now") List<String> heldNowBy) {
    }

    public record GrantedView(@Field("true: every resource asked for is held") boolean granted, List<LeaseView> leases) {
    }

    public record RenewedView(List<LeaseView> renewed) {
    }

    public record ReleasedView(List<ReleasedLeaseView> released) {
    }

    public record HoldingView(@Field("the resource asked about, canonical") String resource, List<LeaseView> leases) {
    }

    public record LeasesView(List<LeaseView> leases) {
    }

    public record FencedView(@Field("true: the token is that of this live lease covering the resource") boolean valid, LeaseView lease) {
    }

    public record FencedWriteView(@Field("the file written, relative to the project root") String path,
            @Field("the lease whose fencing token allowed it") LeaseView lease) {
    }

    public record AgentReleasedView(String agent, List<LeaseView> released) {
    }

    public record CleanupView(List<LeaseView> expired, @Field("waiters removed: their clients stopped polling or passed their deadline")
            int deadWaiters) {
    }

    public static LeaseView lease(Lease lease) {
        return new LeaseView(lease.id(), lease.resource().text(), lease.resource().kind().name().toLowerCase(Locale.ROOT),
                lease.mode().label(), lease.agent(), lease.token(), lease.reason(), Instant.ofEpochMilli(lease.acquiredAt()),
                Instant.ofEpochMilli(lease.expiresAt()));
    }

    public static List<LeaseView> leases(List<Lease> leases) {
        return leases.stream().map(JsonViews::lease).toList();
    }

    /** Released leases; one that had expired says so, with who holds its resource now. */
    public static List<ReleasedLeaseView> released(List<Leases.Released> released) {
        return released.stream().map(one -> one.hadExpired() ? new ReleasedLeaseView(lease(one.lease()), true, one.heldNowBy())
                : new ReleasedLeaseView(lease(one.lease()), null, null)).toList();
    }

    public static GrantedView granted(List<Lease> granted) {
        return new GrantedView(true, leases(granted));
    }

    public static RenewedView renewed(List<Lease> renewed) {
        return new RenewedView(leases(renewed));
    }

    public static ReleasedView releasedList(List<Leases.Released> released) {
        return new ReleasedView(released(released));
    }

    public static HoldingView holding(Resource resource, List<Lease> leases) {
        return new HoldingView(resource.text(), leases(leases));
    }

    public static FencedView fenced(Lease lease) {
        return new FencedView(true, lease(lease));
    }

    public static FencedWriteView fencedWrite(String path, Lease lease) {
        return new FencedWriteView(path, lease(lease));
    }

    public static LeasesView leaseList(List<Lease> leases) {
        return new LeasesView(leases(leases));
    }

    public static AgentReleasedView agentReleased(String agent, List<Lease> released) {
        return new AgentReleasedView(agent, leases(released));
    }

    public static CleanupView cleanup(List<Lease> expired, int deadWaiters) {
        return new CleanupView(leases(expired), deadWaiters);
    }

    // ------------------------------------------------------------------------------------ agents

    public record AgentView(String id, String kind, @Field(valuesOf = Agent.Status.class) String status, Instant lastSeen,
            @Field(value = "tmux pane id (%3) its messages are typed into", nullable = true) String pane,
            @Field(value = "the agent's process", nullable = true) Long pid, String host, @Field(nullable = true) String label,
            @Field("someone holds its token (discovered agents start unclaimed)") boolean claimed, Instant registeredAt,
            @Field(value = "what it is doing (null: nobody has told)", valuesOf = Agent.Activity.class, nullable = true) String activity,
            @Field(value = "since when it does that", nullable = true) Instant activitySince,
            @Field("its latest sign of progress (a tool used, its pane's output changed)") Instant lastProgress,
            @Field(value = "the client session it runs as (claude:ID, codex:ID), by which a restarted client resumes it", nullable = true)
            String session,
            @JsonInclude(Include.NON_NULL) @Field("the resources it holds (in a list of agents)") List<String> leases) {
    }

    /** A registration's answer: the agent and its token, shown once. */
    public record RegisteredAgentView(@JsonUnwrapped AgentView agent,
            @JsonInclude(Include.NON_NULL) @Field("the agent's token, shown once (none when an MCP session binds itself to an agent by its token)")
            String token) {
    }

    /** Who the CLI's caller is, and how that was told (token, tmux pane). */
    public record ResolvedAgentView(@JsonUnwrapped AgentView agent, String resolvedBy) {
    }

    /** An agent left: the leases released with it. */
    public record LeftView(List<LeaseView> released) {
    }

    public record AgentsView(List<AgentView> agents) {
    }

    public static AgentView agent(Agent agent, List<String> leases) {
        return new AgentView(agent.id(), agent.kind(), agent.status().label(), Instant.ofEpochMilli(agent.lastSeen()), agent.pane(),
                agent.pid(), agent.host(), agent.label(), agent.claimed(), Instant.ofEpochMilli(agent.registeredAt()),
                agent.activity() == null ? null : agent.activity().label(),
                agent.activity() == null ? null : Instant.ofEpochMilli(agent.activitySince()), Instant.ofEpochMilli(agent.progressAt()),
                agent.session(), leases);
    }

    public static RegisteredAgentView registered(Agent agent, String token) {
        return new RegisteredAgentView(agent(agent, null), token);
    }

    public static ResolvedAgentView resolved(Agent agent, String resolvedBy) {
        return new ResolvedAgentView(agent(agent, null), resolvedBy);
    }

    public static LeftView left(List<Lease> released) {
        return new LeftView(leases(released));
    }

    public static AgentsView agents(List<Agents.Listed> listed) {
        return new AgentsView(listed.stream().map(one -> agent(one.agent(), one.leases())).toList());
    }

    // ------------------------------------------------------------------------------------- tasks

    public record TaskView(@Field("26-character time-ordered id; a unique prefix of 6+ names it") String id, String title, String description,
            @Field(value = "as shown: blocked is open with a blocker not done; open is ready", valuesOf = Task.Status.class) String status,
            @Field("0 (first) to 4 (last)") int priority, List<String> labels, @Field(nullable = true) String parent, String creator,
            @Field(value = "who holds it (in progress) or finished it", nullable = true) String assignee,
            @Field(value = "the fencing token of the current claim", nullable = true) Long token,
            @Field("0 to 100") int progress, @Field("the latest progress note, or the outcome") String note,
            @Field("blockers not done yet") List<String> waitingFor, @Field("tasks waiting for this one") List<String> blocks,
            @Field("tasks this one waits for") List<String> blockedBy, List<String> related, int subtasks, int subtasksDone,
            @Field("agents not gone holding its claim") int activeAgents, Instant createdAt, Instant updatedAt,
            @Field(nullable = true) Instant closedAt) {
    }

    public record TasksView(List<TaskView> tasks) {
    }

    /** A task with its history: its events and its claims' lease events, oldest first. */
    public record TaskDetailView(@JsonUnwrapped TaskView task, List<EventView> history) {
    }

    public record ClaimedTaskView(TaskView task, @Field("the claim: its fencing token, its expiry") LeaseView lease) {
    }

    /** A task in a tree: depth 0 is the task asked about, 1 its sub-tasks, and so on. */
    public record TreeTaskView(int depth, @JsonUnwrapped TaskView task) {
    }

    public record TaskTreeView(List<TreeTaskView> tasks) {
    }

    public record TaskStatusCountsView(@Field("ready") long open, long blocked, long inProgress, long done, long failed, long cancelled) {
    }

    public record AssigneeCountsView(String agent, long inProgress, long done, long failed, long cancelled) {
    }

    public record ParentCountsView(String parent, long done, long total) {
    }

    public record ActiveAgentsView(String task, long agents) {
    }

    /** The counts, all from one transaction, which saw the events up to {@code asOfEvent}. */
    public record TaskStatsView(@Field("the newest event the counts include") long asOfEvent, TaskStatusCountsView byStatus,
            List<AssigneeCountsView> byAssignee, List<ParentCountsView> byParent, List<ActiveAgentsView> activeAgents) {
    }

    public static TaskView task(Tasks.View view) {
        Task task = view.task();
        return new TaskView(task.id(), task.title(), task.description(), view.status().label(), task.priority(), task.labels(), task.parent(),
                task.creator(), task.assignee(), task.claimToken(), task.progress(), task.note(), view.waitingFor(), view.blocks(),
                view.blockedBy(), view.related(), view.subtasks(), view.subtasksDone(), view.activeAgents(), Instant.ofEpochMilli(task.createdAt()),
                Instant.ofEpochMilli(task.updatedAt()), instantOrNull(task.closedAt()));
    }

    public static TasksView tasks(List<Tasks.View> views) {
        return new TasksView(views.stream().map(JsonViews::task).toList());
    }

    public static TaskDetailView taskDetail(Tasks.Detail detail) {
        return new TaskDetailView(task(detail.view()), detail.history().stream().map(JsonViews::event).toList());
    }

    public static ClaimedTaskView claimed(Tasks.Claimed claimed) {
        return new ClaimedTaskView(task(claimed.view()), lease(claimed.lease()));
    }

    public static TaskTreeView tree(Tasks.Node root) {
        List<TreeTaskView> rows = new java.util.ArrayList<>();
        addTree(rows, root, 0);
        return new TaskTreeView(rows);
    }

    private static void addTree(List<TreeTaskView> rows, Tasks.Node node, int depth) {
        rows.add(new TreeTaskView(depth, task(node.view())));
        node.subtasks().forEach(child -> addTree(rows, child, depth + 1));
    }

    public static TaskStatsView taskStats(Tasks.Stats stats) {
        Map<String, Long> byStatus = stats.byStatus();
        TaskStatusCountsView statuses = new TaskStatusCountsView(byStatus.get("open"), byStatus.get("blocked"), byStatus.get("in-progress"),
                byStatus.get("done"), byStatus.get("failed"), byStatus.get("cancelled"));
        return new TaskStatsView(stats.asOfEvent(), statuses,
                stats.byAssignee().stream().map(agent -> new AssigneeCountsView(agent.agent(), agent.inProgress(), agent.done(), agent.failed(),
                        agent.cancelled())).toList(),
                stats.byParent().stream().map(parent -> new ParentCountsView(parent.parent(), parent.done(), parent.total())).toList(),
                stats.activeAgents().stream().map(task -> new ActiveAgentsView(task.task(), task.agents())).toList());
    }

    // --------------------------------------------------------------------------------- processes

    public record ProcessView(@Field("the run's id (a unique prefix of 6+ names it); its agent's id names its latest run") String id,
            String agent, @Field(valuesOf = Run.Kind.class) String kind, @Field(nullable = true) String task,
            @Field(value = "the agent that spawned it", nullable = true) String parent, @Field("1 + its parent's depth") int depth,
            @Field(valuesOf = Run.State.class) String state, String host,
            @Field(value = "the hub that starts, watches and stops it: the scope (host and checkout) of the hub it was spawned through; "
                    + "null: any hub of its host (a run from before)", nullable = true) String hub,
            @Field("program and arguments") List<String> command, String cwd,
            @Field(nullable = true) Long pid, @Field(value = "its tmux pane (spawned with --tmux)", nullable = true) String pane,
            Instant queuedAt, @Field(nullable = true) Instant startedAt,
            @Field(nullable = true) Instant endedAt, @Field(value = "from start to end, or to now", nullable = true) Long uptimeMs,
            @Field(value = "CPU time of the process (this host, while it runs)", nullable = true) Double cpuSeconds,
            @Field(value = "null when unknown: lost, or adopted after a hub restart", nullable = true) Integer exitCode,
            @Field(value = "how it ended", nullable = true) String endReason,
            @Field(value = "asked to stop: by whom, why, with which signal", nullable = true) StopView stop,
            @Field("bytes of output so far") long outputBytes, @Field(nullable = true) Instant outputAt,
            @Field(value = "total input tokens its events reported", nullable = true) Long inputTokens,
            @Field(nullable = true) Long outputTokens, @Field(value = "USD, as Claude Code reports it", nullable = true) Double costUsd,
            @Field(nullable = true) Double maxCostUsd, @Field(value = "success, or error: why (from its final event)", nullable = true) String outcome,
            @Field(value = "its latest step (a tool, a command)", nullable = true) String lastStep,
            @Field("its output file, under .swarm/runs") String log) {
    }

    public record OutputView(@Field("the run's agent") String agent, @Field("its output file's last lines, oldest first") List<String> lines) {
    }

    public record StopView(Instant at, @Field("TERM or KILL") String signal, long graceMs, String by, String reason) {
    }

    public record SpawnedView(ProcessView process,
            @JsonInclude(Include.NON_NULL) @Field("queued: how many runs wait before it (processes.max run already)") Long queuedBefore) {
    }

    public record ProcessesView(List<ProcessView> processes) {
    }

    public record ProcessCountView(@Field("the task or the parent agent") String key, long running, long queued) {
    }

    public record ProcessStatsView(@Field("the newest event the counts include") long asOfEvent, @Field("starting or running") long running,
            long queued, List<ProcessCountView> byTask, List<ProcessCountView> byParent) {
    }

    public static ProcessView process(Run run) {
        Run.StopRequest stop = run.stop();
        Long until = run.startedAt() == null ? null : run.endedAt() != null ? run.endedAt() : Long.valueOf(System.currentTimeMillis());
        return new ProcessView(run.id(), run.agent(), run.spec().kind().label(), run.spec().task(), run.parent(), run.depth(), run.state().label(),
                run.host(), run.hubScope(), run.spec().command(), run.spec().cwd(), run.pid(), run.pane(), Instant.ofEpochMilli(run.queuedAt()), instantOrNull(run.startedAt()),
                instantOrNull(run.endedAt()), until == null ? null : until - run.startedAt(), cpuSeconds(run), run.exitCode(), run.endReason(),
                stop == null ? null : new StopView(Instant.ofEpochMilli(stop.at()), stop.signal(), stop.graceMs(), stop.by(), stop.reason()),
                run.outputBytes(), instantOrNull(run.outputAt()), run.usage().inputTokens(), run.usage().outputTokens(), run.usage().costUsd(),
                run.spec().maxCostUsd(), run.usage().outcome(), run.usage().lastStep(), ".swarm/runs/" + run.agent() + ".log");
    }

    private static final dev.swarmhub.host.LocalProcesses HERE = new dev.swarmhub.host.LocalProcesses();

    /** The CPU time of a live process of this host, as the OS reports it now. */
    private static Double cpuSeconds(Run run) {
        if (!run.state().live() || run.process() == null || !HERE.runs(run.process())) {
            return null;
        }
        return ProcessHandle.of(run.pid()).flatMap(process -> process.info().totalCpuDuration()).map(cpu -> cpu.toMillis() / 1000.0).orElse(null);
    }

    public static ProcessesView processes(List<Run> runs) {
        return new ProcessesView(runs.stream().map(JsonViews::process).toList());
    }

    public static ProcessStatsView processStats(Processes.Stats stats) {
        return new ProcessStatsView(stats.asOfEvent(), stats.live(), stats.queued(),
                stats.byTask().stream().map(count -> new ProcessCountView(count.key(), count.live(), count.queued())).toList(),
                stats.byParent().stream().map(count -> new ProcessCountView(count.key(), count.live(), count.queued())).toList());
    }

    // ------------------------------------------------------------------------------------ events

    // ---------------------------------------------------------------------- coordination document

    public record SectionView(String name, @Field("one more at each change: give it back to set only if unchanged") long version,
            @Field("Markdown, normalised: LF line ends, no trailing spaces") String text, int lines, Instant changedAt,
            @Field("the agent, operator (incl. hand edits of the file), or swarm") String changedBy) {
    }

    public record DocView(@Field("one more at each change of the document") long revision, List<SectionView> sections) {
    }

    public record DocChangeView(@Field("the document's revision after the change") long revision,
            @Field("the section as it is now (removed: as it was)") SectionView section) {
    }

    public static SectionView section(Section section) {
        return new SectionView(section.name(), section.version(), section.text(), section.lines(), Instant.ofEpochMilli(section.changedAt()),
                section.changedBy());
    }

    public static DocView doc(Plan.Document document) {
        return new DocView(document.revision(), document.sections().stream().map(JsonViews::section).toList());
    }

    public static DocChangeView docChange(Plan.Changed changed) {
        return new DocChangeView(changed.revision(), section(changed.section()));
    }

    public record EventView(long id, Instant at, String kind, @Field(nullable = true) String agent, @Field(nullable = true) String resource,
            Map<String, Object> details) {
    }

    public record EventsView(List<EventView> events) {
    }

    public static EventView event(Event event) {
        return new EventView(event.id(), Instant.ofEpochMilli(event.at()), event.kind(), event.agent(), event.resource(), event.details());
    }

    public static EventsView events(List<Event> events) {
        return new EventsView(events.stream().map(JsonViews::event).toList());
    }

    // ---------------------------------------------------------------------------------- messages

    /** One recipient's progress: stored → delivered → read → acked. */
    public record RecipientView(String agent, Instant storedAt, @Field(nullable = true) Instant deliveredAt,
            @Field(nullable = true) Instant readAt, @Field(nullable = true) Instant ackedAt,
            @Field("deliveries so far (1, then one more per retry)") int attempts, boolean escalated,
            @Field(value = "tmux typing: pending, delivered, or failed: reason", nullable = true) String pane,
            @Field("typed, queued, failed: why, or inbox (no pane: it waits in the inbox)") String delivery) {
    }

    /** A message as its reader sees it: every recipient's progress, the reader's own, and whether its signature failed. */
    public record MessageView(@Field("26-character time-ordered id") String id, String from, String type,
            @Field("normal or urgent") String priority, @Field("the id of the thread's first message") String thread,
            @Field(nullable = true) String replyTo,
            @Field(value = "null when tampered: a message whose signature fails is never shown", nullable = true) String text,
            boolean ackRequired, Instant sentAt, @Field("true when the HMAC signature does not match: do not trust it") boolean tampered,
            List<RecipientView> to,
            @JsonInclude(Include.NON_NULL) @Field("the reader's own receipt, when the reader is a recipient") RecipientView mine) {
    }

    /** What became of a sent message for one recipient. */
    public record DeliveryView(String agent, @Field("typed, queued, failed: why, or inbox (no pane: it waits in the inbox)") String delivery) {
    }

    /** A message just sent, as its sender sees it, with what became of it per recipient. */
    public record SentMessageView(@JsonUnwrapped MessageView message, List<DeliveryView> delivery) {
    }

    public record MessagesView(List<MessageView> messages) {
    }

    /** A message as its reader sees it: every recipient's progress, the reader's own, and whether its signature failed. */
    public static MessageView message(Messages.View view) {
        Message message = view.message();
        return new MessageView(message.id(), message.sender(), message.type().label(), message.priority(), message.thread(),
                message.replyTo(), message.text(), message.ackRequired(), Instant.ofEpochMilli(message.createdAt()), view.tampered(),
                message.recipients().stream().map(JsonViews::recipient).toList(), view.mine() == null ? null : recipient(view.mine()));
    }

    /** A message just sent, as its sender sees it, with what became of it per recipient. */
    public static SentMessageView sentMessage(Message message) {
        return new SentMessageView(message(new Messages.View(message, false, null)), deliveries(message));
    }

    /** Per recipient: typed, queued, failed: why, or inbox (see Message.Recipient.delivery). */
    public static List<DeliveryView> deliveries(Message message) {
        return message.recipients().stream().map(recipient -> new DeliveryView(recipient.agent(), recipient.delivery())).toList();
    }

    public static List<MessageView> messages(List<Messages.View> views) {
        return views.stream().map(JsonViews::message).toList();
    }

    public static MessagesView messageList(List<Messages.View> views) {
        return new MessagesView(messages(views));
    }

    private static RecipientView recipient(Message.Recipient recipient) {
        return new RecipientView(recipient.agent(), Instant.ofEpochMilli(recipient.storedAt()), instantOrNull(recipient.deliveredAt()),
                instantOrNull(recipient.readAt()), instantOrNull(recipient.ackedAt()), recipient.attempts(), recipient.escalated(),
                recipient.pane(), recipient.delivery());
    }

    private static Instant instantOrNull(Long epochMillis) {
        return epochMillis == null ? null : Instant.ofEpochMilli(epochMillis);
    }

    // ------------------------------------------------------------------------------------ errors

    /** {"error":{"code","message"}}, plus "granted": false, the conflicts and the queue for a denied acquire. */
    public record ErrorView(@JsonInclude(Include.NON_NULL) @Field("false, for a denied acquire") Boolean granted, ErrorDetailView error,
            @JsonInclude(Include.NON_NULL) @Field("a denied acquire: the leases in the way") List<ConflictView> conflicts,
            @JsonInclude(Include.NON_NULL) @Field("a denied acquire: the waiters queued before it") List<WaiterView> queuedAhead,
            @JsonInclude(Include.NON_NULL) @Field("a refused set (version_conflict): the section as it is now") SectionView section) {
    }

    public record ErrorDetailView(@Field("bad_input, unauthenticated, denied, conflict, timeout, rate_limited, internal, unavailable")
            String code,
            @JsonInclude(Include.NON_NULL) @Field("rate_limited: milliseconds until a slot frees") Long retryAfterMs, String message) {
    }

    public record ConflictView(@Field("the resource asked for") String resource, @Field("the resource of the lease in the way")
            String heldResource, String holder, @Field(valuesOf = Mode.class) String mode, String reason, Instant since, Instant expiresAt) {
    }

    public record WaiterView(String resource, String agent, @Field(valuesOf = Mode.class) String mode, Instant since) {
    }

    public record WaitersView(@Field("per resource, in the order they will be served") List<WaiterView> waiters) {
    }

    public static WaitersView waiters(List<Waiter> waiters) {
        return new WaitersView(waiters.stream().map(JsonViews::waiter).toList());
    }

    /** {"error":{"code","message"}}, plus the conflicts and queue for a denied acquire. */
    public static ErrorView error(SwarmException failure) {
        if (failure instanceof LeaseConflictException conflict) {
            return new ErrorView(false, new ErrorDetailView(conflict.timedOut() ? "timeout" : "conflict", null, failure.getMessage()),
                    conflict.conflicts().stream().map(JsonViews::conflict).toList(),
                    conflict.queuedAhead().stream().map(JsonViews::waiter).toList(), null);
        }
        if (failure instanceof VersionConflictException conflict) {
            return new ErrorView(null, new ErrorDetailView(failure.code(), null, failure.getMessage()), null, null, section(conflict.current()));
        }
        Long retryAfter = failure instanceof RateLimitedException limited ? limited.retryAfterMillis() : null;
        return new ErrorView(null, new ErrorDetailView(failure.code(), retryAfter, failure.getMessage()), null, null, null);
    }

    private static ConflictView conflict(LeaseConflictException.Conflict conflict) {
        Lease held = conflict.held();
        return new ConflictView(conflict.requested().text(), held.resource().text(), held.agent(), held.mode().label(), held.reason(),
                Instant.ofEpochMilli(held.acquiredAt()), Instant.ofEpochMilli(held.expiresAt()));
    }

    private static WaiterView waiter(Waiter waiter) {
        return new WaiterView(waiter.resource().text(), waiter.agent(), waiter.mode().label(), Instant.ofEpochMilli(waiter.since()));
    }
}
