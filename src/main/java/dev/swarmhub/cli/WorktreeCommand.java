package dev.swarmhub.cli;

import dev.swarmhub.host.Worktrees;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.processes.Run;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm worktree list | remove NAME}: the git worktrees of spawned agents (spawn --worktree), under .swarm/worktrees. */
@Command(name = "worktree", description = "The git worktrees of spawned agents (spawn --worktree), under .swarm/worktrees.",
        subcommands = {WorktreeCommand.List_.class, WorktreeCommand.Remove.class})
final class WorktreeCommand implements Runnable {

    @ParentCommand
    Swarm swarm;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing subcommand: try swarm worktree --help");
    }

    @Command(name = "list", description = "Each worktree: its branch, uncommitted changes and commits on no other branch.")
    static final class List_ implements Callable<Integer> {
        @ParentCommand
        WorktreeCommand worktree;

        @Override
        public Integer call() {
            Swarm swarm = worktree.swarm;
            List<Worktrees.Worktree> all = new Worktrees(swarm.projectRoot()).list();
            List<Map<String, Object>> documents = all.stream().map(tree -> Output.document("name", tree.name(), "path", tree.path().toString(),
                    "branch", tree.branch(), "changes", tree.changes(), "unpushedCommits", tree.unpushedCommits())).toList();
            return swarm.output.result(Output.document("worktrees", documents), all.isEmpty() ? "no worktrees"
                    : all.stream().map(tree -> tree.name() + "  " + (tree.branch() == null ? "(detached)" : tree.branch()) + "  "
                    + tree.changes().size() + " uncommitted change(s), " + tree.unpushedCommits() + " commit(s) on no other branch")
                    .collect(Collectors.joining("\n")));
        }
    }

    @Command(name = "remove", description = "Remove an agent's worktree and its branch; refused while its agent runs, or while it holds "
            + "uncommitted changes or commits on no other branch or remote (nothing is ever deleted then).")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        WorktreeCommand worktree;

        @Parameters(index = "0", paramLabel = "NAME", description = "The worktree's name: its agent's id.")
        String name;

        @Override
        public Integer call() {
            Swarm swarm = worktree.swarm;
            Caller caller = swarm.readerCaller();
            List<Run> live = swarm.call(s -> s.processEndpoints.list, caller, new ProcessOperations.Listing(null, null, null, 1_000)).stream()
                    .filter(run -> run.agent().equals(name) && run.spec().worktree()).toList();
            if (!live.isEmpty()) {
                throw SwarmException.denied("agent " + name + " still runs in worktree " + name + " (" + live.getFirst().state().label()
                        + "): stop it first with swarm kill " + name);
            }
            Worktrees.Removed removed = new Worktrees(swarm.projectRoot()).remove(name);
            return swarm.output.result(Output.document("removed", removed.name(), "branch", removed.branch(), "branchDeleted", removed.branchDeleted()),
                    "removed worktree " + removed.name() + (removed.branchDeleted() ? " and branch " + removed.branch()
                            : "; branch " + removed.branch() + " kept (on a remote only)"));
        }
    }
}
