package dev.swarmhub.cli;

import dev.swarmhub.host.GitGuard;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code swarm guard ...}: the git pre-commit hook that keeps commits off other agents' files. */
@Command(name = "guard", description = "A git pre-commit hook refusing commits that touch files under another agent's exclusive lease.",
        subcommands = {GuardCommand.Install.class, GuardCommand.Uninstall.class, GuardCommand.Status.class, GuardCommand.Check.class})
final class GuardCommand {

    @ParentCommand
    Swarm swarm;

    @Command(name = "install", description = "Install the hook (an existing pre-commit hook is kept and runs first).")
    static final class Install implements Callable<Integer> {
        @ParentCommand
        GuardCommand guard;

        @Override
        public Integer call() {
            Path hook = new GitGuard(guard.swarm.projectRoot()).install(guard.swarm.selfCommand());
            return guard.swarm.output.result(Output.document("installed", hook.toString()), "installed " + hook);
        }
    }

    @Command(name = "uninstall", description = "Remove the hook (restoring the one it kept).")
    static final class Uninstall implements Callable<Integer> {
        @ParentCommand
        GuardCommand guard;

        @Override
        public Integer call() {
            boolean removed = new GitGuard(guard.swarm.projectRoot()).uninstall();
            return guard.swarm.output.result(Output.document("removed", removed), removed ? "uninstalled" : "the guard was not installed");
        }
    }

    @Command(name = "status", description = "Is the hook installed?")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        GuardCommand guard;

        @Override
        public Integer call() {
            GitGuard git = new GitGuard(guard.swarm.projectRoot());
            GitGuard.State state = git.status();
            return guard.swarm.output.result(Output.document("state", state.name().toLowerCase(Locale.ROOT), "hook", git.hook().toString()),
                    switch (state) {
                        case INSTALLED -> "installed at " + git.hook();
                        case NOT_INSTALLED -> "not installed (swarm guard install)";
                        case OTHER_HOOK -> "not installed; another pre-commit hook is there (install keeps it)";
                    });
        }
    }

    @Command(name = "check", description = "What the hook runs: refuse if a staged file is under another agent's exclusive lease, "
            + "or the committing agent lost its lease on it (expired, force-released) and has not taken it again.")
    static final class Check implements Callable<Integer> {
        @ParentCommand
        GuardCommand guard;

        @Override
        public Integer call() {
            Swarm swarm = guard.swarm;
            boolean advisory = "warn".equals(swarm.environment("SWARM_GUARD"));
            String committer = null;
            List<LeaseConflictException.Conflict> blocking = new ArrayList<>();
            List<String> lostLeases = new ArrayList<>();
            try (CommandServices services = swarm.services()) {
                committer = committer(swarm, services);
                var parser = swarm.resourceParser();
                for (Path file : GitGuard.stagedFiles(committingTree(swarm), swarm.environment("GIT_INDEX_FILE"))) {
                    Resource resource;
                    try {
                        resource = parser.parse(file.toString());
                    } catch (SwarmException outsideTheProject) {
                        continue;
                    }
                    for (Lease lease : services.leases.who(resource)) {
                        if (lease.mode() == Mode.EXCLUSIVE && !lease.agent().equals(committer)) {
                            blocking.add(new LeaseConflictException.Conflict(resource, lease));
                        }
                    }
                    if (committer != null) {
                        services.leases.lostLease(committer, resource).ifPresent(lost -> lostLeases.add(resource + ": your lease on "
                                + lost.resource() + " (token " + lost.token() + ") " + lost.how() + " at " + Instant.ofEpochMilli(lost.at())));
                    }
                }
            } catch (SwarmException unreachable) {
                if (unreachable.kind() != SwarmException.Kind.INTERNAL && unreachable.kind() != SwarmException.Kind.UNAVAILABLE) {
                    throw unreachable;
                }
                throw new SwarmException(unreachable.kind(), "swarm guard cannot read the lease store, so it refuses the commit"
                        + " (SWARM_GUARD=warn commits anyway): " + unreachable.getMessage(), unreachable);
            }
            if (blocking.isEmpty() && lostLeases.isEmpty()) {
                return swarm.output.result(Output.document("allowed", true), "");
            }
            List<String> reasons = new ArrayList<>();
            if (!blocking.isEmpty()) {
                reasons.add(new LeaseConflictException(blocking, List.of(), false).getMessage() + (committer != null ? ""
                        : swarm.agentOrNull() == null ? " (no SWARM_AGENT set: every exclusive lease counts)"
                        : " (SWARM_AGENT=" + swarm.agentOrNull() + " without its valid SWARM_TOKEN: every exclusive lease counts)"));
            }
            if (!lostLeases.isEmpty()) { // another agent may have changed the file since: committing the edit made under the lease may undo that
                reasons.add("you lost the lease your edit was made under: " + String.join("; ", lostLeases)
                        + " (take the lease again, check the file, then commit)");
            }
            String refusal = String.join("; and ", reasons);
            if (advisory) {
                swarm.output.warning("swarm guard (advisory): " + refusal);
                return swarm.output.result(Output.document("allowed", true, "warnings", refusal), "");
            }
            throw SwarmException.denied("commit refused by swarm guard: " + refusal);
        }

        /**
         * Where the commit happens: the hook runs at the top of the work tree committing (the main
         * tree or an agent's worktree under it); run by hand outside the project, the main tree.
         */
        private static Path committingTree(Swarm swarm) {
            Path workingDirectory = swarm.fileNamed(".");
            return workingDirectory.startsWith(swarm.projectRoot()) ? workingDirectory : swarm.projectRoot();
        }

        /** The committing agent, only when its token proves it: a bare SWARM_AGENT would let anyone commit as the holder. */
        private static String committer(Swarm swarm, CommandServices services) {
            String claimed = swarm.agentOrNull();
            if (claimed == null || swarm.tokenOrNull() == null) {
                return null;
            }
            try {
                Caller caller = services.agents.bearer(swarm.tokenOrNull());
                return claimed.equals(caller.agent()) ? claimed : null;
            } catch (SwarmException refused) {
                if (refused.kind() != SwarmException.Kind.UNAUTHENTICATED) {
                    throw refused;
                }
                return null;
            }
        }
    }
}
