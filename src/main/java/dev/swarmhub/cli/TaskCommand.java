package dev.swarmhub.cli;

import dev.swarmhub.hub.TaskEndpoints;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.TaskOperations;
import dev.swarmhub.tasks.Tasks;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.tasks.TaskTransfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm task ...}: the shared work queue. Most subcommands are derived from the task
 * operations ({@link #addDerived}); {@code create} is written here for its description read from
 * standard input.
 */
@Command(name = "task", description = "The shared work queue: tasks with dependencies, claimed as leases.",
        subcommands = {TaskCommand.Create.class, TaskCommand.Export.class, TaskCommand.Import.class})
final class TaskCommand implements Runnable {

    @ParentCommand
    Swarm swarm;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing subcommand: try swarm task --help");
    }

    /** The subcommands derived from the task operations, one line each. */
    static void addDerived(CommandLine task) {
        Function<CommandServices, TaskEndpoints> tasks = services -> services.taskEndpoints;
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).list, "list", TaskCommand::lines));
        task.addSubcommand(OperationCommand.fixing(OperationCommand.of(s -> tasks.apply(s).list, "ready", TaskCommand::lines),
                "Tasks ready to claim (open, unclaimed, nothing blocking), by priority, then age.", OrderedMap.of("ready", true, "status", NONE)));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).show, "show", TaskCommand::full, "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).tree, "tree", TaskCommand::tree, "task"));
        task.addSubcommand(OperationCommand.fixing(OperationCommand.of(s -> tasks.apply(s).claim, "next", TaskCommand::claimed),
                "Claim the next ready task (by priority, then age; of a label); exit 3 when none is ready.", OrderedMap.of("task", NONE)));
        task.addSubcommand(OperationCommand.fixing(OperationCommand.of(s -> tasks.apply(s).claim, "claim", TaskCommand::claimed, "task"),
                "Claim a task (a lease on task:ID, kept while you are active); exit 3 when it is not ready.", OrderedMap.of("label", NONE)));
        task.addSubcommand(report(tasks, "progress", Tasks.Outcome.PROGRESS, "Report progress on your task: PERCENT (0-100) and a note.",
                "task", "percent", "note"));
        task.addSubcommand(report(tasks, "done", Tasks.Outcome.DONE, "Finish your task (its claim is released).", "task", "note"));
        task.addSubcommand(report(tasks, "fail", Tasks.Outcome.FAILED, "Fail your task, saying why (what waits for it stays blocked).",
                "task", "note"));
        task.addSubcommand(report(tasks, "release", Tasks.Outcome.RELEASED, "Give your task back: it is ready again for others.", "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).cancel, "cancel", TaskCommand::line, "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).reopen, "reopen", TaskCommand::line, "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).assign, "assign", TaskCommand::claimed, "task", "agent"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).link, "link", TaskCommand::line, "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).unlink, "unlink", TaskCommand::line, "task"));
        task.addSubcommand(OperationCommand.of(s -> tasks.apply(s).stats, "stats", TaskCommand::stats));
    }

    /** Stands for "no value": the argument is removed from the command, not given. */
    private static final Object NONE = null;

    private static CommandLine.Model.CommandSpec report(Function<CommandServices, TaskEndpoints> tasks, String name, Tasks.Outcome outcome,
            String description, String... positional) {
        Map<String, Object> fixed = OrderedMap.of("outcome", outcome.label());
        if (outcome != Tasks.Outcome.PROGRESS) {
            fixed.put("percent", NONE);
        }
        return OperationCommand.fixing(OperationCommand.of(s -> tasks.apply(s).report, name, TaskCommand::line, positional), description, fixed);
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "create", description = "Add a task to the shared queue; prints its id.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        TaskCommand task;

        @Parameters(index = "0", paramLabel = "TITLE", description = "What is to be done.")
        String title;

        @Option(names = "--description", paramLabel = "TEXT", description = "Details, or - to read them from standard input.")
        String description;

        @Option(names = "--priority", paramLabel = "N", description = "0 (first) to 4 (last); default 2.")
        Long priority;

        @Option(names = "--label", paramLabel = "L", split = ",", description = "A label (repeat, or comma-separate).")
        List<String> labels;

        @Option(names = "--parent", paramLabel = "ID", description = "The task this is a sub-task of.")
        String parent;

        @Option(names = "--after", paramLabel = "ID", split = ",", description = "A task that must be done first (repeat).")
        List<String> after;

        @Override
        public Integer call() {
            Swarm swarm = task.swarm;
            return swarm.run(services -> services.taskEndpoints.create, swarm.readerCaller(), new TaskOperations.Create(title,
                    description == null ? null : MessageCommands.readText(description), priority, labels, parent, after), view -> view.task().id());
        }
    }

    @ClientSide.RunsInClient
    @Command(name = "export", description = "Write every task with its links as JSON Lines (one task per line), to FILE or standard output.")
    static final class Export implements Callable<Integer> {
        @ParentCommand
        TaskCommand task;

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "Where to write (default: standard output).")
        String file;

        @Override
        public Integer call() {
            Swarm swarm = task.swarm;
            TaskTransfer.Export export;
            try (CommandServices services = swarm.services()) {
                export = services.tasks.export(swarm.readerCaller());
            }
            String lines = TaskLines.export(export);
            if (file == null) {
                swarm.output.stream(lines, lines); // JSON Lines, with --json or without
                return 0;
            }
            Path target = swarm.fileNamed(file);
            try {
                Files.writeString(target, lines);
            } catch (IOException e) {
                throw SwarmException.badInput("cannot write " + target + ": " + e.getMessage());
            }
            return swarm.output.result(new TaskLines.Exported(target.toString(), export.tasks().size(), export.links().size()),
                    "exported " + export.tasks().size() + " tasks and " + export.links().size() + " links to " + target);
        }
    }

    @ClientSide.RunsInClient
    @Command(name = "import", description = "Add the tasks of a JSON Lines file: an export of swarm task, or a Beads issue file "
            + "(.beads/issues.jsonl). All or nothing; tasks already here are left as they are.")
    static final class Import implements Callable<Integer> {
        @ParentCommand
        TaskCommand task;

        @Parameters(index = "0", paramLabel = "FILE", description = "The file, or - for standard input.")
        String file;

        @Override
        public Integer call() {
            Swarm swarm = task.swarm;
            TaskLines.Parsed parsed = TaskLines.parse(read(swarm, file));
            TaskTransfer.Imported imported;
            try (CommandServices services = swarm.services()) {
                imported = services.tasks.importTasks(swarm.readerCaller(), parsed.tasks());
            }
            if (!swarm.json) {
                parsed.leftOut().forEach(why -> swarm.output.warning("left out: " + why));
            }
            return swarm.output.result(new TaskLines.ImportedView(imported.created(), imported.alreadyHere(), imported.links(), parsed.leftOut()),
                    "imported " + imported.created().size() + " tasks and " + imported.links() + " links; " + imported.alreadyHere().size()
                            + " already here");
        }

        private static String read(Swarm swarm, String file) {
            if ("-".equals(file)) {
                return MessageCommands.readText(file);
            }
            Path source = swarm.fileNamed(file);
            try {
                return Files.readString(source);
            } catch (NoSuchFileException e) {
                throw SwarmException.badInput("no file " + source);
            } catch (IOException e) {
                throw SwarmException.badInput("cannot read " + source + ": " + e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------------------------- text

    /** One line per task: id, status, priority, progress, who, title. */
    static String lines(List<Tasks.View> views) {
        return views.isEmpty() ? "no tasks" : views.stream().map(TaskCommand::line).collect(Collectors.joining("\n"));
    }

    static String line(Tasks.View view) {
        Task task = view.task();
        String who = task.assignee() == null ? "" : "  @" + task.assignee();
        String progress = view.status() == Task.Status.IN_PROGRESS && task.progress() > 0 ? "  " + task.progress() + "%" : "";
        String waiting = view.waitingFor().isEmpty() ? "" : "  (after " + String.join(", ", view.waitingFor()) + ")";
        return String.format(Locale.ROOT, "%s  %-11s P%d  %s%s%s%s", task.id(), view.status().label(), task.priority(), task.title(), who,
                progress, waiting);
    }

    static String claimed(Tasks.Claimed claimed) {
        return "claimed " + line(claimed.view()) + "\nfencing token " + claimed.lease().token() + ", kept while you are active (until "
                + Output.clock(claimed.lease().expiresAt()) + " without a call)";
    }

    /** A task with its links and history. */
    static String full(Tasks.Detail detail) {
        Tasks.View view = detail.view();
        Task task = view.task();
        StringBuilder text = new StringBuilder(line(view)).append('\n');
        if (!task.description().isEmpty()) {
            text.append('\n').append(task.description()).append("\n\n");
        }
        text.append("created by ").append(task.creator()).append(" at ").append(Output.clock(task.createdAt()));
        if (!task.labels().isEmpty()) {
            text.append("; labels ").append(String.join(", ", task.labels()));
        }
        if (task.parent() != null) {
            text.append("; sub-task of ").append(task.parent());
        }
        text.append('\n');
        if (view.subtasks() > 0) {
            text.append("sub-tasks: ").append(view.subtasksDone()).append(" of ").append(view.subtasks()).append(" done\n");
        }
        appendIds(text, "blocked by", view.blockedBy());
        appendIds(text, "blocks", view.blocks());
        appendIds(text, "related", view.related());
        if (!task.note().isEmpty()) {
            text.append("note: ").append(task.note()).append('\n');
        }
        text.append("\nhistory:\n");
        detail.history().forEach(event -> text.append("  ").append(Output.clock(event.at())).append("  ").append(event.kind())
                .append(event.agent() == null ? "" : " by " + event.agent()).append(event.details().containsKey("reason")
                        && event.details().get("reason") != null && !"".equals(event.details().get("reason"))
                        ? ": " + event.details().get("reason") : "").append('\n'));
        return text.toString().stripTrailing();
    }

    private static void appendIds(StringBuilder text, String what, List<String> ids) {
        if (!ids.isEmpty()) {
            text.append(what).append(": ").append(String.join(", ", ids)).append('\n');
        }
    }

    static String tree(Tasks.Node root) {
        StringBuilder text = new StringBuilder();
        appendTree(text, root, "");
        return text.toString().stripTrailing();
    }

    private static void appendTree(StringBuilder text, Tasks.Node node, String indent) {
        text.append(indent).append(line(node.view())).append('\n');
        node.subtasks().forEach(child -> appendTree(text, child, indent + "  "));
    }

    static String stats(Tasks.Stats stats) {
        StringBuilder text = new StringBuilder(stats.byStatus().entrySet().stream().map(entry -> entry.getValue() + " " + entry.getKey())
                .collect(Collectors.joining(", "))).append('\n');
        stats.byAssignee().forEach(agent -> text.append("  ").append(agent.agent()).append(": ").append(agent.inProgress()).append(" in progress, ")
                .append(agent.done()).append(" done, ").append(agent.failed()).append(" failed, ").append(agent.cancelled()).append(" cancelled\n"));
        stats.byParent().forEach(parent -> text.append("  ").append(parent.parent()).append(": ").append(parent.done()).append(" of ")
                .append(parent.total()).append(" sub-tasks done\n"));
        stats.activeAgents().forEach(task -> text.append("  ").append(task.task()).append(": ").append(task.agents())
                .append(task.agents() == 1 ? " agent" : " agents").append(" active\n"));
        return text.toString().stripTrailing();
    }
}
