package dev.swarmhub.processes;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.ProcessProbe;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.tasks.Tasks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The processes the hub supervises. Every change is one store transaction over the run rows, and
 * the hub the run was spawned through (its host and checkout, among the hubs sharing the store)
 * does what the rows ask ({@link ProcessControl}): a spawn queues a run,
 * the hub starts it when fewer than {@code processes.max} run (FIFO) and records its process; a
 * kill records a stop request, the hub signals and records the end. A run ends once (the
 * conditional update that moves it out of starting or running), and the counts are read from the
 * rows, so they stay exact whatever ends runs concurrently.
 */
public final class Processes {

    public static final Setting<Integer> MAX = Setting.count("processes.max", 8, 1_000, "processes");
    public static final Setting<Integer> MAX_DEPTH = Setting.count("processes.max-depth", 3, 20, "levels of child agents");
    public static final List<Setting<?>> SETTINGS = List.of(MAX, MAX_DEPTH);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
    public static final Duration MAX_GRACE = Duration.ofMinutes(10);
    public static final int MAX_ARGUMENTS = 256;
    public static final int MAX_ARGUMENT = 8_192;
    public static final int MAX_ENVIRONMENT = 64;
    /** A path's limit on Linux (PATH_MAX). */
    public static final int MAX_PATH = 4_096;
    public static final int MAX_LISTED = 1_000;
    /** How long a spawn or a kill waits beyond what it asked for (a grace) before answering with the state then. */
    private static final long ANSWER_MARGIN_MS = 15_000;
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final List<Run.State> LIVE = List.of(Run.State.STARTING, Run.State.RUNNING);
    /** The caller's run when its latest ended: it matches no run (the caller registered again since). */
    private static final Run STALE_CALLER = new Run("", "", null, null, 0, Run.State.LOST, "", null, null, null, null, 0, null, null, null,
            null, null, 0, null, Run.Usage.NONE);

    private final Store store;
    private final Agents agents;
    private final Gate gate;
    private final Tasks tasks;
    private final ProcessProbe probe;
    private volatile ProcessControl control = ProcessControl.NONE;
    /** The hub runs it every second: agents of queued runs stay active (they cannot call while they wait). */
    public final Sweep housekeeping = new Sweep("queued processes", this::keepQueuedAgents);

    public Processes(Store store, Agents agents, Tasks tasks, ProcessProbe probe) {
        this.store = store;
        this.agents = agents;
        this.gate = agents;
        this.tasks = tasks;
        this.probe = probe;
        agents.leaveDeathsTo((tx, agent) -> ProcessStore.in(tx).latestRunOf(agent).filter(run -> run.state().live()).isPresent());
    }

    /** The hub that starts and stops the processes spawned through it; until one is attached, spawning is refused. */
    public void superviseWith(ProcessControl control) {
        this.control = Objects.requireNonNull(control);
    }

    /** A run queued (how many wait before it) or started. */
    public record Spawned(Run run, long queuedBefore) {
    }

    /** A queued run the hub starts now, with the fresh token of its agent (for its environment only). */
    public record Starting(Run run, String token) {
    }

    /** Counts read in one transaction that includes the events up to {@code asOfEvent}. */
    public record Stats(long asOfEvent, long live, long queued, List<ProcessStore.Count> byTask, List<ProcessStore.Count> byParent) {
    }

    // ----------------------------------------------------------------------------------- spawning

    /** Checks what the spawner asked for; each error names the field. */
    public static Run.Spec spec(String name, Run.Kind kind, String task, List<String> command, Map<String, String> environment, String cwd,
                                boolean worktree, boolean tmux, Double maxCostUsd) {
        if (name != null && name.isEmpty()) {
            throw SwarmException.badInput("empty name: give the spawned agent's id, or no name for one made from the program's");
        }
        if (name != null) {
            Limits.agentId(name);
        }
        Run.Kind chosen = kind == null ? Run.Kind.COMMAND : kind;
        if (command == null || command.isEmpty()) {
            throw SwarmException.badInput("no program given: put it after --, as in swarm spawn -- PROGRAM ARGS");
        }
        if (command.size() > MAX_ARGUMENTS) {
            throw SwarmException.badInput("too many arguments: " + command.size() + " (at most " + MAX_ARGUMENTS + ")");
        }
        for (int i = 0; i < command.size(); i++) {
            String argument = command.get(i);
            if (argument == null || argument.length() > MAX_ARGUMENT || argument.indexOf('\0') >= 0) {
                throw SwarmException.badInput("bad " + (i == 0 ? "program" : "argument " + i) + " of the command ("
                        + (argument == null ? "null" : argument.length() + " characters") + "): at most " + MAX_ARGUMENT + " characters, no NUL");
            }
        }
        if (command.getFirst().isBlank()) {
            throw SwarmException.badInput("the program is empty");
        }
        Map<String, String> env = new LinkedHashMap<>(environment == null ? Map.of() : environment);
        if (env.size() > MAX_ENVIRONMENT) {
            throw SwarmException.badInput("too many environment variables: " + env.size() + " (at most " + MAX_ENVIRONMENT + ")");
        }
        env.forEach((variable, value) -> {
            if (!VARIABLE.matcher(variable).matches()) {
                throw SwarmException.badInput("bad environment variable name '" + variable + "': letters, digits and _, not starting with a digit");
            }
            if (variable.startsWith("SWARM_")) {
                throw SwarmException.badInput("environment variable " + variable + " is the hub's to set (SWARM_AGENT, SWARM_TOKEN, SWARM_ROOT)");
            }
            if (value == null || value.length() > MAX_ARGUMENT || value.indexOf('\0') >= 0) {
                throw SwarmException.badInput("bad value of environment variable " + variable + ": at most " + MAX_ARGUMENT + " characters, no NUL");
            }
        });
        if (maxCostUsd != null) {
            if (!(maxCostUsd > 0) || maxCostUsd.isInfinite()) {
                throw SwarmException.badInput("bad cost budget " + maxCostUsd + ": a positive number of USD");
            }
            if (chosen != Run.Kind.CLAUDE) {
                throw SwarmException.badInput("a cost budget needs --kind claude: only Claude Code reports its cost (Codex reports tokens only)");
            }
        }
        if (cwd != null && (cwd.length() > MAX_PATH || cwd.indexOf('\0') >= 0)) {
            throw SwarmException.badInput("bad working directory (" + cwd.length() + " characters): at most " + MAX_PATH + ", no NUL");
        }
        if (tmux && worktree) {
            throw SwarmException.badInput("give --tmux or --worktree, not both");
        }
        return new Run.Spec(name, chosen, task, tmux ? List.copyOf(command) : headless(chosen, command), Map.copyOf(env), cwd, worktree, tmux,
                maxCostUsd);
    }

    /**
     * A headless Claude Code or Codex run prints the events the hub reads (progress, tokens,
     * cost): {@code claude} gets {@code -p} and {@code --output-format stream-json --verbose}
     * unless it has an output format, {@code codex} runs as {@code codex exec --json}. Other
     * programs (a wrapper script) are left as they are: they must print those events themselves.
     */
    static List<String> headless(Run.Kind kind, List<String> command) {
        String program = command.getFirst().substring(command.getFirst().lastIndexOf('/') + 1);
        List<String> arguments = new ArrayList<>(command.subList(1, command.size()));
        if (kind == Run.Kind.CLAUDE && program.equals("claude")) {
            if (!arguments.contains("-p") && !arguments.contains("--print")) {
                arguments.addFirst("-p");
            }
            if (arguments.stream().noneMatch(argument -> argument.startsWith("--output-format"))) {
                arguments.addAll(List.of("--output-format", "stream-json", "--verbose"));
            }
        } else if (kind == Run.Kind.CODEX && program.equals("codex")) {
            if (arguments.isEmpty() || !arguments.getFirst().equals("exec")) {
                arguments.addFirst("exec");
            }
            if (!arguments.contains("--json")) {
                arguments.add(1, "--json");
            }
        }
        List<String> line = new ArrayList<>(List.of(command.getFirst()));
        line.addAll(arguments);
        return List.copyOf(line);
    }

    /**
     * Queues a run as a new agent (registered now: its id is taken; its parent is the calling
     * agent) and answers once the hub started it (with its pid) or, when {@code processes.max}
     * run already, at once with its place in the queue. With a task, the agent claims it when it
     * starts if the task is ready then, and otherwise works on it beside its holder.
     */
    public Spawned spawn(Caller caller, Run.Spec asked) {
        ProcessControl here = control;
        Run.Spec spec = here.prepare(asked);
        Spawned spawned = store.write(tx -> {
            gate.admit(tx, caller);
            String parent = caller.operator() ? null : caller.agentId();
            int depth = parent == null ? 1 : ProcessStore.in(tx).latestRunOf(parent).filter(run -> !run.state().finished())
                    .map(run -> run.depth() + 1).orElse(1);
            int maxDepth = MAX_DEPTH.in(tx);
            if (depth > maxDepth) {
                throw SwarmException.denied("agent " + parent + " runs at depth " + (depth - 1) + " of " + maxDepth + " (" + MAX_DEPTH.name()
                        + "): it may not spawn another level of agents");
            }
            String task = spec.task() == null ? null : Tasks.workable(tx, spec.task());
            Agents.Registered agent = agents.register(new Agents.Registration(spec.name(), spec.kind().agentKind(), null, null,
                    spec.name() == null ? spec.kind().label() : ""));
            Run run = new Run(Ids.next(tx.now()), agent.agent().id(), withTask(spec, task), parent, depth, Run.State.QUEUED, here.host(),
                    here.hubScope(), null, null, null, tx.now(), null, null, null, null, null, 0, null, Run.Usage.NONE);
            ProcessStore.in(tx).insertRun(run);
            record(tx, run, "process.queued", "command", run.spec().command(), "cwd", run.spec().cwd(), "depth", depth,
                    "worktree", spec.worktree(), "tmux", spec.tmux(), "maxCostUsd", spec.maxCostUsd());
            long before = ProcessStore.in(tx).queuedBefore(run);
            boolean due = ProcessStore.in(tx).countLive() + before < MAX.in(tx); // a slot is free for it and every run queued before it
            return new Spawned(run, due ? -1 : before);
        });
        here.wake();
        if (spawned.queuedBefore() >= 0) {
            return spawned;
        }
        Run started = awaitState(spawned.run().id(), state -> state != Run.State.QUEUED && state != Run.State.STARTING, ANSWER_MARGIN_MS);
        if (started.state() == Run.State.EXITED && started.pid() == null) {
            throw SwarmException.badInput("agent " + started.agent() + " did not start: " + started.endReason());
        }
        return new Spawned(started, 0);
    }

    private static Run.Spec withTask(Run.Spec spec, String task) {
        return new Run.Spec(spec.name(), spec.kind(), task, spec.command(), spec.environment(), spec.cwd(), spec.worktree(), spec.tmux(),
                spec.maxCostUsd());
    }

    /**
     * The hub's next queued run (one spawned through it, or from before, of its host), if fewer
     * than {@code processes.max} run: now starting, its agent active with a fresh token, and its
     * task claimed when ready. A run whose agent id was taken by another agent meanwhile ends as lost.
     */
    public Optional<Starting> startNext(ProcessControl hub) {
        ProcessStore.Supervisor supervisor = ProcessStore.Supervisor.of(hub);
        return store.write(tx -> {
            ProcessStore rows = ProcessStore.in(tx);
            while (rows.countLive() < MAX.in(tx)) {
                Optional<Run> next = rows.oldestQueued(supervisor);
                if (next.isEmpty()) {
                    return Optional.empty();
                }
                Run run = next.get();
                String token = Agents.startSupervised(tx, run.agent(), run.queuedAt());
                if (token == null) {
                    end(tx, run, List.of(Run.State.QUEUED), Run.State.LOST, null, "its agent id " + run.agent() + " was registered by another agent");
                    continue;
                }
                rows.markStarting(run.id());
                if (run.hubScope() == null) {
                    rows.takeFromBefore(run.id(), supervisor.hubScope());
                }
                Run starting = rows.run(run.id()).orElseThrow();
                record(tx, starting, "process.starting");
                if (run.spec().task() != null) {
                    claimIfReady(run, token);
                }
                return Optional.of(new Starting(starting, token));
            }
            return Optional.empty();
        });
    }

    private void claimIfReady(Run run, String token) {
        try {
            tasks.claim(Caller.ofAgent(run.agent(), token), run.spec().task(), null, null);
        } catch (SwarmException notReady) {
            if (notReady.kind() != SwarmException.Kind.DENIED) {
                throw notReady;
            } // claimed by another, or closed meanwhile: the run works beside its holder
        }
    }

    /**
     * The hub started the run's process in {@code cwd} (in a tmux pane, bound to its agent, when
     * {@code pane} is not null): the agent lives as long as that process.
     */
    public Run started(String runId, ProcessIdentity process, String cwd, PaneBinding pane) {
        return store.write(tx -> {
            Run run = ProcessStore.in(tx).run(runId).orElseThrow();
            String paneId = pane == null ? null : pane.pane();
            if (ProcessStore.in(tx).markRunning(runId, process.pid(), process.startedAt(), cwd, paneId, tx.now())) {
                Agents.attachProcess(tx, run.agent(), process, pane);
                Run running = ProcessStore.in(tx).run(runId).orElseThrow();
                record(tx, running, "process.started", "pid", process.pid(), "cwd", cwd, "pane", paneId);
                return running;
            }
            return run;
        });
    }

    /**
     * The run's process ended (or could not start: {@code failure}): killed when the hub signalled
     * it, exited otherwise, with its exit code when known. Its agent is gone and its leases
     * released; a task it claimed opens again. False when the run had ended already.
     */
    public boolean ended(String runId, Integer exitCode, boolean signalled, String failure) {
        return store.write(tx -> {
            Run run = ProcessStore.in(tx).run(runId).orElseThrow();
            String reason = failure != null ? failure
                    : signalled ? "stopped by " + (run.stop() == null ? "the hub" : run.stop().by() + (run.stop().reason().isEmpty() ? "" : ": " + run.stop().reason()))
                    : "exited" + (exitCode == null ? "" : " with code " + exitCode);
            return end(tx, run, LIVE, signalled ? Run.State.KILLED : Run.State.EXITED, exitCode, reason);
        });
    }

    private static boolean end(Tx tx, Run run, List<Run.State> from, Run.State to, Integer exitCode, String reason) {
        if (!ProcessStore.in(tx).markEnded(run.id(), from, to, tx.now(), exitCode, reason)) {
            return false;
        }
        Agents.processEnded(tx, run.agent(), run.queuedAt(), switch (to) {
            case KILLED -> "its process was " + reason;
            case LOST -> "its process was lost: " + reason;
            default -> "its process " + reason;
        });
        Long ranFor = run.startedAt() == null ? null : tx.now() - run.startedAt();
        record(tx, ProcessStore.in(tx).run(run.id()).orElseThrow(), "process." + to.label(), "exitCode", exitCode, "reason", reason,
                "durationMs", ranFor);
        return true;
    }

    /**
     * On the hub's start: its runs that were starting or running while it did not watch them
     * (those of the other hubs of its host are theirs). Those whose process still runs (same pid
     * and start time) are returned to be watched again; the others are lost, their exit unknown,
     * their agents gone.
     */
    public List<Run> reconcile(ProcessControl hub) {
        ProcessStore.Supervisor supervisor = ProcessStore.Supervisor.of(hub);
        return store.write(tx -> {
            List<Run> adopted = new ArrayList<>();
            for (Run run : ProcessStore.in(tx).runs(new ProcessStore.Filter(null, null, supervisor, false), Integer.MAX_VALUE)) {
                if (!run.state().live()) {
                    continue;
                }
                if (run.process() != null && probe.runs(run.process())) {
                    if (run.hubScope() == null) {
                        ProcessStore.in(tx).takeFromBefore(run.id(), supervisor.hubScope()); // watched by one hub only
                    }
                    adopted.add(run);
                    record(tx, run, "process.adopted", "pid", run.pid());
                } else {
                    end(tx, run, LIVE, Run.State.LOST, null, run.pid() == null ? "the hub stopped while starting it"
                            : "process " + run.pid() + " ended while no hub watched it (exit unknown)");
                }
            }
            return adopted;
        });
    }

    /**
     * Runs not finished that were recorded under this machine's host name alone (before hosts
     * carried their machine) are this host's, as they were for the hub that recorded them: its
     * start reconciles them.
     */
    public void adoptRecordedUnderHostName() {
        if (!probe.hostName().equals(probe.host())) {
            store.write(tx -> {
                ProcessStore.in(tx).moveUnfinished(probe.hostName(), probe.host());
                return null;
            });
        }
    }

    /** The hub's runs being started when it stopped last, with no process recorded yet. */
    public List<Run> startingWithoutProcess(ProcessControl hub) {
        return store.read(tx -> ProcessStore.in(tx).runs(new ProcessStore.Filter(null, null, ProcessStore.Supervisor.of(hub), false),
                Integer.MAX_VALUE).stream()
                .filter(run -> run.state() == Run.State.STARTING && run.pid() == null).toList());
    }

    /** What the run's output told: its size (when it grew: now), and usage; a cost past the run's budget asks it to stop. */
    public void output(String runId, long bytes, Run.Usage usage) {
        boolean overBudget = store.write(tx -> {
            Run run = ProcessStore.in(tx).run(runId).orElseThrow();
            if (run.state().finished()) {
                return false;
            }
            ProcessStore.in(tx).updateOutput(runId, bytes, bytes != run.outputBytes() ? Long.valueOf(tx.now()) : run.outputAt(), usage);
            Run.Usage was = run.usage();
            if (!Objects.equals(was.inputTokens(), usage.inputTokens()) || !Objects.equals(was.outputTokens(), usage.outputTokens())
                    || !Objects.equals(was.costUsd(), usage.costUsd()) || !Objects.equals(was.outcome(), usage.outcome())) {
                record(tx, run, "process.usage", "inputTokens", usage.inputTokens(), "outputTokens", usage.outputTokens(),
                        "costUsd", usage.costUsd(), "outcome", usage.outcome());
            }
            Double budget = run.spec().maxCostUsd();
            if (budget != null && usage.costUsd() != null && usage.costUsd() > budget) {
                String why = String.format(java.util.Locale.ROOT, "its cost $%.4f passed its budget $%.4f", usage.costUsd(), budget);
                if (ProcessStore.in(tx).requestStop(runId, new Run.StopRequest(tx.now(), "TERM", DEFAULT_GRACE.toMillis(), Caller.HUB_ID, why))) {
                    record(tx, run, "process.over-budget", "costUsd", usage.costUsd(), "maxCostUsd", budget, "reason", why);
                    return true;
                }
            }
            return false;
        });
        if (overBudget) {
            control.wake();
        }
    }

    // ----------------------------------------------------------------------------------- stopping

    /**
     * Asks the run (with {@code tree}, also every run its agent spawned, to any depth) to stop:
     * {@code signal} to its process group, KILL after {@code grace}; a queued run ends at once.
     * A run asked to stop already is asked again only when this kills it sooner (KILL, or a shorter
     * grace). The operator, the run's own agent or an agent it descends from may. Answers once they all
     * ended, or after the grace and a margin with their state then.
     */
    public List<Run> kill(Caller caller, String ref, boolean tree, String signal, Duration grace, String reason) {
        String chosen = signal == null ? StopSignal.TERM.name() : StopSignal.parse(signal).name();
        Duration wait = grace == null ? DEFAULT_GRACE : grace;
        if (wait.isNegative() || wait.compareTo(MAX_GRACE) > 0) {
            throw SwarmException.badInput("bad grace " + Durations.format(wait) + ": from 0s to " + Durations.format(MAX_GRACE));
        }
        String why = Limits.reason(reason).strip();
        List<String> stopping = store.write(tx -> {
            gate.admit(tx, caller);
            Run run = resolve(tx, ref);
            String by = caller.operator() ? Caller.OPERATOR_ID : caller.agentId();
            if (!caller.operator() && !descendsFrom(tx, run, by)) {
                throw SwarmException.denied("agent " + by + " may not stop " + run.agent() + ": only the operator, the agent itself or an agent "
                        + "it was spawned by (at any depth) may");
            }
            List<Run> targets = new ArrayList<>(List.of(run));
            if (tree) {
                targets.addAll(descendants(tx, run));
            }
            List<String> ids = new ArrayList<>();
            for (Run target : targets) {
                ids.add(target.id());
                if (target.state() == Run.State.QUEUED) {
                    end(tx, target, List.of(Run.State.QUEUED), Run.State.KILLED, null, "stopped by " + by + " before it started"
                            + (why.isEmpty() ? "" : ": " + why));
                } else if (ProcessStore.in(tx).requestStop(target.id(), new Run.StopRequest(tx.now(), chosen, wait.toMillis(), by, why))) {
                    record(tx, target, "process.stopping", "signal", chosen, "graceMs", wait.toMillis(), "by", by, "reason", why, "tree", tree);
                }
            }
            return ids;
        });
        control.wake();
        List<Run> answer = new ArrayList<>();
        for (String id : stopping) {
            answer.add(awaitState(id, Run.State::finished, wait.toMillis() + ANSWER_MARGIN_MS));
        }
        return answer;
    }

    /**
     * Whether {@code agent} is the run's agent or an agent it was spawned by, at any depth. An id
     * is taken again once its agent is gone: a run is its parent's only when the parent's run then
     * (its latest queued before the child) is the caller's unfinished run, or neither the parent
     * then nor the caller ever ran as a process (an agent registered again after its run ended
     * is not that run's agent any more).
     */
    private static boolean descendsFrom(Tx tx, Run run, String agent) {
        ProcessStore rows = ProcessStore.in(tx);
        Run callerRun = rows.latestRunOf(agent).map(latest -> latest.state().finished() ? STALE_CALLER : latest).orElse(null);
        Set<String> seen = new java.util.HashSet<>();
        for (Run at = run; at != null && seen.add(at.id()); ) {
            if (at.agent().equals(agent) && (callerRun == null || callerRun.id().equals(at.id()))) {
                return true;
            }
            if (at.parent() == null) {
                return false;
            }
            Run parentRun = rows.latestRunOf(at.parent(), at.queuedAt()).orElse(null);
            if (agent.equals(at.parent()) && (callerRun == null || parentRun != null && callerRun.id().equals(parentRun.id()))) {
                return true;
            }
            at = parentRun;
        }
        return false;
    }

    /**
     * The unfinished runs spawned by the run's agent and by theirs, level by level: those queued
     * after their parent's run (the runs an earlier agent of that id spawned are not its).
     */
    private static List<Run> descendants(Tx tx, Run run) {
        List<Run> found = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>(List.of(run.agent()));
        Map<String, Run> level = Map.of(run.agent(), run);
        while (!level.isEmpty()) {
            Map<String, Run> next = new LinkedHashMap<>();
            for (Run child : ProcessStore.in(tx).unfinishedChildrenOf(level.keySet())) {
                if (child.queuedAt() >= level.get(child.parent()).queuedAt() && seen.add(child.agent())) {
                    found.add(child);
                    next.put(child.agent(), child);
                }
            }
            level = next;
        }
        return found;
    }

    /** The hub's live runs asked to stop: it signals them. */
    public List<Run> toStop(ProcessControl hub) {
        return store.read(tx -> ProcessStore.in(tx).runs(new ProcessStore.Filter(null, null, ProcessStore.Supervisor.of(hub), false),
                Integer.MAX_VALUE).stream()
                .filter(run -> run.state().live() && run.stop() != null).toList());
    }

    // ------------------------------------------------------------------------------------ reading

    /** Runs, newest first: live and queued ones, or all with {@code all}; of a task (id or prefix) when given. */
    public List<Run> list(Caller caller, String task, boolean all, int limit) {
        int capped = Math.max(1, Math.min(limit, MAX_LISTED));
        return store.write(tx -> {
            gate.admit(tx, caller);
            String taskId = task == null ? null : Tasks.resolveId(tx, task);
            return ProcessStore.in(tx).runs(new ProcessStore.Filter(taskId, null, null, all), capped);
        });
    }

    /** One run: by its agent's id (its latest run) or by run id or a unique prefix of it. */
    public Run show(Caller caller, String ref) {
        return store.write(tx -> {
            gate.admit(tx, caller);
            return resolve(tx, ref);
        });
    }

    public Stats stats(Caller caller) {
        return store.write(tx -> {
            gate.admit(tx, caller);
            ProcessStore rows = ProcessStore.in(tx);
            return new Stats(rows.lastEventId(), rows.countLive(), rows.countQueued(), rows.countByTask(), rows.countByParent());
        });
    }

    private static Run resolve(Tx tx, String ref) {
        if (ref == null || ref.isBlank()) {
            throw SwarmException.badInput("no process given: an agent id or a run id");
        }
        Optional<Run> ofAgent = ProcessStore.in(tx).latestRunOf(ref.strip());
        if (ofAgent.isPresent()) {
            return ofAgent.get();
        }
        String id = Ids.resolve("process", ref.strip(), (prefix, limit) -> ProcessStore.in(tx).runIdsStartingWith(prefix, limit));
        return ProcessStore.in(tx).run(id).orElseThrow(() -> SwarmException.badInput("no process " + ref));
    }

    /**
     * Waits (on the store's event signal: a run's change is an event) until the run's state
     * passes the test or {@code timeoutMillis} passed; the run as it is then.
     */
    private Run awaitState(String runId, java.util.function.Predicate<Run.State> reached, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            long seen = store.signalCount(Store.Signal.LOGGED);
            Run run = store.read(tx -> ProcessStore.in(tx).run(runId).orElseThrow());
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (reached.test(run.state()) || left <= 0) {
                return run;
            }
            try {
                store.awaitSignal(Store.Signal.LOGGED, seen, Math.min(left, 100)); // polls for changes other processes made
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return run;
            }
        }
    }

    private void keepQueuedAgents() {
        if (store.read(tx -> ProcessStore.in(tx).countQueued()) > 0) {
            store.write(tx -> {
                ProcessStore.in(tx).runs(ProcessStore.Filter.LIVE, Integer.MAX_VALUE).stream().filter(run -> run.state() == Run.State.QUEUED)
                        .forEach(run -> Agents.keepWaiting(tx, run.agent()));
                return null;
            });
        }
    }

    /** The run's event: its agent, and its task's resource when it has one (so a task's history shows its processes). */
    private static void record(Tx tx, Run run, String kind, Object... details) {
        Map<String, Object> all = OrderedMap.of("run", run.id(), "state", run.state().label(), "kind", run.spec().kind().label(),
                "host", run.host());
        if (run.parent() != null) {
            all.put("parent", run.parent());
        }
        if (run.spec().task() != null) {
            all.put("task", run.spec().task());
        }
        all.putAll(OrderedMap.of(details));
        tx.appendEvent(kind, run.agent(), run.spec().task() == null ? null : "task:" + run.spec().task(), all);
    }
}
