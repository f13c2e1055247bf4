package dev.swarmhub.cli;

import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm lock ...}: leases on files, globs and named resources. */
@Command(name = "lock", description = "Lease files, globs (src/*.py, src/**) and named resources (name:build).",
        subcommands = {LockCommand.Acquire.class, LockCommand.Release.class, LockCommand.Renew.class, LockCommand.Who.class,
                LockCommand.ListLeases.class, LockCommand.Cleanup.class, LockCommand.ReleaseAgent.class})
final class LockCommand {

    @ParentCommand
    Swarm swarm;

    /** The lease modes, for help and completion: listed by Mode itself. */
    static final class Modes implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Mode.names().iterator();
        }
    }

    /** The duration given to {@code option}, null when none was; a bad one is refused naming the option, as derived commands do. */
    static Duration duration(String option, String text) {
        try {
            return text == null ? null : Durations.parse(text);
        } catch (SwarmException refused) {
            throw new SwarmException(refused.kind(), "option '" + option + "': " + refused.getMessage(), refused);
        }
    }

    @Command(name = "acquire", description = "Take leases on all the resources or none; re-acquiring renews.")
    static final class Acquire implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(arity = "1..*", paramLabel = "RESOURCE", description = "Paths, globs or name:NAME (paths relative to the working directory).")
        List<String> resources;

        @Option(names = "--shared", description = "Shared lease: coexists with other shared leases (--mode shared).")
        boolean shared;

        @Option(names = "--mode", paramLabel = "MODE", completionCandidates = Modes.class, description = "One of ${COMPLETION-CANDIDATES} (default exclusive).")
        String mode;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "Lease time, 1s to 24h (default 300s).")
        String ttl;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why you hold it (shown to others).")
        String reason;

        @Option(names = "--wait", paramLabel = "DURATION", description = "Queue and keep trying this long (e.g. 30s).")
        String wait;

        private Mode mode() {
            if (shared && mode != null && Mode.parse(mode) != Mode.SHARED) {
                throw SwarmException.badInput("--shared and --mode " + mode + " disagree: give one");
            }
            return shared ? Mode.SHARED : mode == null ? null : Mode.parse(mode);
        }

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.acquire, lock.swarm.actingAgent(), new LeaseOperations.Acquire(
                    lock.swarm.resourcesTyped(resources), mode(), duration("--ttl", ttl), reason, duration("--wait", wait)),
                    granted -> "granted\n" + Output.leaseLines(granted, ""));
        }
    }

    @Command(name = "release", description = "Release your leases (what you do not hold is skipped).")
    static final class Release implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(arity = "0..*", paramLabel = "RESOURCE")
        List<String> resources;

        @Option(names = "--all", description = "Release every lease you hold.")
        boolean all;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.release, lock.swarm.actingAgent(),
                    new LeaseOperations.Release(lock.swarm.resourcesTyped(named(resources)), all ? true : null), Release::text);
        }

        private static String text(List<Leases.Released> released) {
            StringBuilder text = new StringBuilder(Output.leaseLines(released.stream().map(Leases.Released::lease).toList(), ""));
            for (Leases.Released expired : released.stream().filter(Leases.Released::hadExpired).toList()) {
                text.append(expired.lease().resource()).append(": your lease had expired before this release")
                        .append(expired.heldNowBy().isEmpty() ? "" : "; it is held now by " + String.join(", ", expired.heldNowBy())).append('\n');
            }
            return released.isEmpty() ? "nothing held was released" : "released\n" + text;
        }
    }

    @Command(name = "renew", description = "Extend your leases (same lease, same fencing token).")
    static final class Renew implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(arity = "0..*", paramLabel = "RESOURCE")
        List<String> resources;

        @Option(names = "--all", description = "Renew every lease you hold.")
        boolean all;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "New lease time from now, 1s to 24h (default 300s).")
        String ttl;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.renew, lock.swarm.actingAgent(),
                    new LeaseOperations.Renew(lock.swarm.resourcesTyped(named(resources)), all ? true : null, duration("--ttl", ttl)),
                    renewed -> "renewed\n" + Output.leaseLines(renewed, "(no leases held)\n"));
        }
    }

    /** The resources named on the command line, or null for none (then --all must say so). */
    private static List<String> named(List<String> inputs) {
        return inputs == null || inputs.isEmpty() ? null : inputs;
    }

    @Command(name = "who", description = "Who holds leases overlapping a path, glob or name (globs covering a path count).")
    static final class Who implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(paramLabel = "RESOURCE")
        String resource;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.who, lock.swarm.agentCaller(), new LeaseOperations.Who(lock.swarm.resourceTyped(resource)),
                    holding -> Output.leaseLines(holding.leases(), holding.resource() + " is free\n"));
        }
    }

    @Command(name = "list", description = "List live leases (--all includes expired ones).")
    static final class ListLeases implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Option(names = "--holder", paramLabel = "AGENT", description = "Only this agent's leases.")
        String holder;

        @Option(names = "--mine", description = "Only the acting agent's leases.")
        boolean mine;

        @Option(names = "--all", description = "Include expired leases that cleanup has not removed yet.")
        boolean all;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.holders, lock.swarm.agentCaller(),
                    new LeaseOperations.Holders(mine ? lock.swarm.actingAgent().agent() : holder, all ? true : null),
                    found -> Output.leaseLines(found, "no leases\n"));
        }
    }

    @Command(name = "cleanup", description = "Remove expired leases and abandoned waiters.")
    static final class Cleanup implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.cleanup, lock.swarm.agentCaller(), new LeaseOperations.Cleanup(),
                    report -> "removed " + report.expired().size() + " expired lease(s), " + report.deadWaiters() + " abandoned waiter(s)\n"
                            + Output.leaseLines(report.expired(), ""));
        }
    }

    @Command(name = "release-agent", description = "Force-release every lease of one agent (or, with --resource, one of them), recording why.")
    static final class ReleaseAgent implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(paramLabel = "AGENT")
        String agent;

        @Option(names = "--resource", paramLabel = "RESOURCE", description = "Only the agent's lease on this resource (as it was acquired).")
        String resource;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded in the log).")
        String reason;

        @Override
        public Integer call() {
            return lock.swarm.run(services -> services.leaseEndpoints.releaseAgent, lock.swarm.operatorCaller(),
                    new LeaseOperations.ReleaseAgent(agent, lock.swarm.resourceTyped(resource), reason),
                    released -> "released " + released.size() + " lease(s) of " + agent + "\n" + Output.leaseLines(released, ""));
        }
    }
}
