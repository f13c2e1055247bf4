package dev.swarmhub.processes;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The process operations as every adapter offers them: arguments with their defaults and limits, and what each does. */
public final class ProcessOperations {

    public record Spawn(
            @Doc(value = "Program and arguments (no shell)", required = true, whole = true) List<String> command,
            @Doc("Agent id (default agent-N)") String name,
            @Doc("Output format (default command)") Run.Kind kind,
            @Doc("Task to work on") String task,
            @Doc(value = "NAME=VALUE", whole = true) List<String> env,
            @Doc("Directory (default: project root)") String cwd,
            @Doc("In its own git worktree") Boolean worktree,
            @Doc("In a tmux window") Boolean tmux,
            @Doc("Budget in USD (claude)") Double maxCost) {

        Run.Spec spec() {
            return Processes.spec(name, kind, task, command, environment(env), cwd, Boolean.TRUE.equals(worktree), Boolean.TRUE.equals(tmux), maxCost);
        }
    }

    /** NAME=VALUE pairs as a map, each error naming the pair. */
    static Map<String, String> environment(List<String> pairs) {
        Map<String, String> environment = new LinkedHashMap<>();
        for (String pair : pairs == null ? List.<String>of() : pairs) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw SwarmException.badInput("bad environment entry '" + pair + "': expected NAME=VALUE");
            }
            if (environment.put(pair.substring(0, equals), pair.substring(equals + 1)) != null) {
                throw SwarmException.badInput("environment variable " + pair.substring(0, equals) + " given twice");
            }
        }
        return environment;
    }

    public record Listing(
            @Doc("Only this one (agent or run id)") String process,
            @Doc("Of this task") String task,
            @Doc("Finished ones too") Boolean all,
            @Doc("At most (default 100)") Integer limit) {
        public Listing {
            limit = limit == null ? 100 : limit;
        }
    }

    /** One run: its agent's id (its latest run), or a run id or unique prefix. */
    public record One(@Doc(value = "Agent id, or run id or unique prefix", required = true) String process) {
    }

    public record Kill(
            @Doc(value = "Agent or run id", required = true) String process,
            @Doc("Its child agents too") Boolean tree,
            @Doc("Default TERM") StopSignal signal,
            @Doc(value = "KILL after (default 10s)", example = "5s") Duration grace,
            @Doc("Why") String reason) {
    }

    /** No arguments. */
    public record None() {
    }

    public final Operation<Spawn, Processes.Spawned> spawn;
    public final Operation<Listing, List<Run>> list;
    public final Operation<One, Run> show;
    public final Operation<Kill, List<Run>> kill;
    public final Operation<None, Processes.Stats> stats;

    public ProcessOperations(Processes processes) {
        // not admitting: the run is prepared (its directory and program looked up on this host) before the transaction
        spawn = new Operation<>("process.spawn", "Start an agent process.", Spawn.class, false, Effect.LAUNCH,
                (caller, a) -> processes.spawn(caller, a.spec()));
        list = new Operation<>("process.list", "Agent processes, newest first.", Listing.class, true, Effect.READ,
                (caller, a) -> a.process() != null ? List.of(processes.show(caller, a.process()))
                        : processes.list(caller, a.task(), Boolean.TRUE.equals(a.all()), a.limit()));
        show = new Operation<>("process.show", "One supervised process.", One.class, true, Effect.READ, (caller, a) -> processes.show(caller, a.process()));
        kill = new Operation<>("process.kill", "Stop a process and release what it held.", Kill.class, true, Effect.REMOVE,
                (caller, a) -> processes.kill(caller, a.process(), Boolean.TRUE.equals(a.tree()), a.signal() == null ? null : a.signal().name(), a.grace(), a.reason()));
        stats = new Operation<>("process.stats", "Processes running and queued: in all, per task, per parent.", None.class, true, Effect.READ,
                (caller, a) -> processes.stats(caller));
    }
}
