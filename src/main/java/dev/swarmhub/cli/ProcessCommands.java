package dev.swarmhub.cli;

import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.processes.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm spawn | ps | kill | logs} and {@code swarm process stats}: the processes the hub
 * supervises. All but {@code logs} are derived from the process operations; {@code logs} reads
 * the output file in the client (following it needs no hub).
 */
final class ProcessCommands {


    private ProcessCommands() {
    }

    /** Adds the subcommands derived from the process operations (spawn, ps and kill are top-level: see {@link Swarm}). */
    static void addDerived(CommandLine process) {
        process.addSubcommand(OperationCommand.of(s -> s.processEndpoints.stats, "stats", ProcessCommands::stats));
    }

    static String spawned(Processes.Spawned spawned) {
        Run run = spawned.run();
        return switch (run.state()) {
            case QUEUED -> run.agent() + " queued (" + spawned.queuedBefore() + " before it; " + Processes.MAX.name() + " run already), run " + run.id();
            case RUNNING -> run.agent() + " started: pid " + run.pid() + ", run " + run.id() + ", output .swarm/runs/" + run.agent() + ".log";
            default -> run.agent() + " " + run.state().label() + (run.endReason() == null ? "" : ": " + run.endReason()) + ", run " + run.id();
        };
    }

    private static final String COLUMNS = "%-14s %-8s %-8s %-8s %-7s %8s %7s %8s %-8s %8s  %s";

    static String table(List<Run> runs) {
        if (runs.isEmpty()) {
            return "no processes (--all shows finished ones)";
        }
        return String.format(Locale.ROOT, COLUMNS, "AGENT", "KIND", "STATE", "PID", "TASK", "UPTIME", "CPU", "OUTPUT", "LAST OUT", "COST",
                "PARENT / LAST") + "\n" + runs.stream().map(ProcessCommands::row).collect(Collectors.joining("\n"));
    }

    private static String row(Run run) {
        JsonViews.ProcessView view = JsonViews.process(run);
        String task = run.spec().task() == null ? "-" : run.spec().task().substring(0, Math.min(6, run.spec().task().length()));
        String cost = view.costUsd() != null ? String.format(Locale.ROOT, "$%.2f", view.costUsd())
                : view.outputTokens() != null ? view.outputTokens() + "t" : "-";
        String last = run.endReason() != null ? run.endReason() : run.usage().lastStep() == null ? "" : run.usage().lastStep();
        return String.format(Locale.ROOT, COLUMNS, run.agent(), run.spec().kind().label(), run.state().label(), run.pid() == null ? "-" : run.pid(),
                task, view.uptimeMs() == null ? "-" : Durations.format(java.time.Duration.ofSeconds(view.uptimeMs() / 1000)),
                view.cpuSeconds() == null ? "-" : String.format(Locale.ROOT, "%.1fs", view.cpuSeconds()), bytes(run.outputBytes()),
                run.outputAt() == null ? "-" : Output.clock(run.outputAt()), cost, (run.parent() == null ? "" : "<- " + run.parent() + "  ") + last);
    }

    private static String bytes(long count) {
        return count < 1024 ? count + "B" : count < 1024 * 1024 ? count / 1024 + "K" : count / (1024 * 1024) + "M";
    }

    static String stats(Processes.Stats stats) {
        StringBuilder text = new StringBuilder(stats.live() + " running, " + stats.queued() + " queued (as of event " + stats.asOfEvent() + ")");
        stats.byTask().forEach(count -> text.append("\ntask ").append(count.key()).append(": ").append(count.live()).append(" running, ")
                .append(count.queued()).append(" queued"));
        stats.byParent().forEach(count -> text.append("\nspawned by ").append(count.key()).append(": ").append(count.live()).append(" running, ")
                .append(count.queued()).append(" queued"));
        return text.toString();
    }

    /** {@code swarm process}: the processes the hub supervises (spawn, ps, kill and logs are commands of their own). */
    @Command(name = "process", description = "The processes the hub supervises (see also spawn, ps, kill, logs).")
    static final class Group implements Runnable {
        @Override
        public void run() {
            throw new CommandLine.ParameterException(new CommandLine(this), "missing subcommand: try swarm process --help");
        }
    }

    /** {@code swarm logs AGENT [-f] [--tail N]}: the process's output file, read in the client. */
    @ClientSide.RunsInClient
    @Command(name = "logs", description = "A supervised process's output (stdout and stderr): its last lines, or following it.")
    static final class Logs implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "AGENT", description = "The process's agent id (as swarm ps shows it).")
        String agent;

        @Option(names = {"-f", "--follow"}, description = "Keep printing lines as the process writes them, until interrupted.")
        boolean follow;

        @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "How many of the last lines (default 50).")
        Integer tail;

        @Override
        public Integer call() throws IOException {
            Limits.agentId(agent);
            Path file = HubFiles.runOutput(swarm.projectRoot(), agent);
            if (!Files.exists(file)) {
                throw SwarmException.badInput("no output of agent " + agent + " (" + file + "): give the agent id swarm ps shows");
            }
            return HubCommands.printLog(swarm, file, tail, "--tail", follow, "");
        }
    }
}
