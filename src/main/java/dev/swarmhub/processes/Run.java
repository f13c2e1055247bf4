package dev.swarmhub.processes;

import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.SwarmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One supervised process: what was asked ({@link Spec}), who asked ({@code parent}: the spawning
 * agent, null for the operator; {@code depth}: 1 + the parent's run's depth), where it runs
 * ({@code host}; {@code pid} started at {@code pidStartedAt}), which hub supervises it
 * ({@code hubScope}: the scope, host and checkout, of the hub it was spawned through, which alone
 * starts, watches and stops it; null for a run from before, of any hub of its host until one takes
 * it), its state, how it ended, what it was asked to stop by ({@link StopRequest}), and what its
 * output told ({@link Usage}). Times are store times (epoch ms).
 */
public record Run(String id, String agent, Spec spec, String parent, int depth, State state, String host, String hubScope, Long pid, Long pidStartedAt,
                  String pane, long queuedAt, Long startedAt, Long endedAt, Integer exitCode, String endReason, StopRequest stop,
                  long outputBytes, Long outputAt, Usage usage) {

    public enum Kind {
        CLAUDE, CODEX, COMMAND;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static List<String> names() {
            return Arrays.stream(values()).map(Kind::label).toList();
        }

        /** The registry's word for the agent a run of this kind is. */
        public String agentKind() {
            return this == COMMAND ? "other" : label();
        }

        public static Kind parse(String text) {
            for (Kind kind : values()) {
                if (kind.label().equalsIgnoreCase(text == null ? "" : text.strip())) {
                    return kind;
                }
            }
            throw SwarmException.badInput("unknown kind '" + text + "': use " + String.join(", ", names()));
        }
    }

    public enum State {
        QUEUED, STARTING, RUNNING, EXITED, KILLED, LOST;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static List<String> names() {
            return Arrays.stream(values()).map(State::label).toList();
        }

        public static State parse(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }

        /** Whether the run is over: every run ends in exactly one of these. */
        public boolean finished() {
            return this == EXITED || this == KILLED || this == LOST;
        }

        /** Whether its process runs (or is being started): what the counts count. */
        public boolean live() {
            return this == STARTING || this == RUNNING;
        }
    }

    /**
     * What the spawner asked for: the program and its arguments (never through a shell), extra
     * environment, the working directory, its own worktree, a tmux window instead of captured
     * output, and a cost budget (USD) past which the run is stopped.
     */
    public record Spec(String name, Kind kind, String task, List<String> command, Map<String, String> environment, String cwd,
                       boolean worktree, boolean tmux, Double maxCostUsd) {
    }

    /** Asked to stop: when, with which signal first, how long before KILL, by whom and why. */
    public record StopRequest(long at, String signal, long graceMs, String by, String reason) {
    }

    /** What the run's output reported (null: not reported). */
    public record Usage(Long inputTokens, Long outputTokens, Double costUsd, String outcome, String lastStep) {
        public static final Usage NONE = new Usage(null, null, null, null, null);
    }

    /** The process, once it was started on its host. */
    public ProcessIdentity process() {
        return pid == null || pidStartedAt == null ? null : new ProcessIdentity(host, pid, pidStartedAt);
    }
}
