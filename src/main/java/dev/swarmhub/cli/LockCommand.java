package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
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

    <T> T withLeases(Function<Leases, T> work) {
        try (Session session = swarm.session()) {
            return work.apply(session.leases);
        }
    }

    List<Resource> resources(List<String> inputs) {
        return swarm.resourceParser().parseAll(inputs);
    }

    /** The acting agent with its token (checked in the operation's transaction). */
    Caller caller() {
        Caller caller = swarm.agentCaller();
        if (caller.agent() == null || caller.agent().isEmpty()) {
            throw SwarmException.unauthenticated("no agent given: pass --agent ID or set SWARM_AGENT (and SWARM_TOKEN)");
        }
        Limits.agentId(caller.agent());
        return caller;
    }

    static Duration duration(String text) {
        return text == null ? null : Durations.parse(text);
    }

    @Command(name = "acquire", description = "Take leases on all the resources or none; re-acquiring renews.")
    static final class Acquire implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(arity = "1..*", paramLabel = "RESOURCE", description = "Paths, globs or name:NAME (paths relative to the project root).")
        List<String> resources;

        @Option(names = "--shared", description = "Shared lease: coexists with other shared leases.")
        boolean shared;

        @Option(names = "--ttl", paramLabel = "DURATION", description = "Lease time, 1s to 24h (default 300s).")
        String ttl;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why you hold it (shown to others).")
        String reason;

        @Option(names = "--wait", paramLabel = "DURATION", description = "Queue and keep trying this long (e.g. 30s).")
        String wait;

        @Override
        public Integer call() {
            Leases.Request request = new Leases.Request(lock.caller(), lock.resources(resources),
                    shared ? Mode.SHARED : Mode.EXCLUSIVE, duration(ttl), reason);
            Duration waitTime = duration(wait);
            List<Lease> granted = lock.withLeases(leases -> leases.acquire(request, waitTime));
            return lock.swarm.output.result(Output.document("granted", true, "leases", JsonViews.leases(granted)),
                    "granted\n" + Output.leaseLines(granted, ""));
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
            Caller caller = lock.caller();
            List<Resource> chosen = resourcesOrAll(lock, resources, all);
            List<Leases.Released> released = lock.withLeases(leases -> all ? leases.releaseAll(caller) : leases.release(caller, chosen));
            StringBuilder text = new StringBuilder(Output.leaseLines(released.stream().map(Leases.Released::lease).toList(), ""));
            for (Leases.Released expired : released.stream().filter(Leases.Released::hadExpired).toList()) {
                text.append(expired.lease().resource()).append(": your lease had expired before this release")
                        .append(expired.heldNowBy().isEmpty() ? "" : "; it is held now by " + String.join(", ", expired.heldNowBy())).append('\n');
            }
            return lock.swarm.output.result(Output.document("released", JsonViews.released(released)),
                    released.isEmpty() ? "nothing held was released" : "released\n" + text);
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
            Caller caller = lock.caller();
            List<Resource> chosen = resourcesOrAll(lock, resources, all);
            Duration newTtl = duration(ttl);
            List<Lease> renewed = lock.withLeases(leases -> all ? leases.renewAll(caller, newTtl) : leases.renew(caller, chosen, newTtl));
            return lock.swarm.output.result(Output.document("renewed", JsonViews.leases(renewed)),
                    "renewed\n" + Output.leaseLines(renewed, "(no leases held)\n"));
        }
    }

    /** The parsed resources, or an empty list with --all; exactly one of the two must be given. */
    private static List<Resource> resourcesOrAll(LockCommand lock, List<String> inputs, boolean all) {
        boolean named = inputs != null && !inputs.isEmpty();
        if (named == all) {
            throw SwarmException.badInput(all ? "give resources or --all, not both" : "give resources, or --all for every lease you hold");
        }
        return named ? lock.resources(inputs) : List.of();
    }

    @Command(name = "who", description = "Who holds leases overlapping a path, glob or name (globs covering a path count).")
    static final class Who implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(paramLabel = "RESOURCE")
        String resource;

        @Override
        public Integer call() {
            Resource asked = lock.swarm.resourceParser().parse(resource);
            List<Lease> holders = lock.withLeases(leases -> leases.who(asked));
            return lock.swarm.output.result(Output.document("resource", asked.text(), "leases", JsonViews.leases(holders)),
                    Output.leaseLines(holders, asked + " is free\n"));
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
            String agent = mine ? lock.caller().agent() : holder;
            List<Lease> found = lock.withLeases(leases -> leases.list(agent, all));
            return lock.swarm.output.result(Output.document("leases", JsonViews.leases(found)),
                    Output.leaseLines(found, "no leases\n"));
        }
    }

    @Command(name = "cleanup", description = "Remove expired leases and abandoned waiters.")
    static final class Cleanup implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Override
        public Integer call() {
            Leases.CleanupReport report = lock.withLeases(Leases::cleanup);
            return lock.swarm.output.result(
                    Output.document("expired", JsonViews.leases(report.expired()), "deadWaiters", report.deadWaiters()),
                    "removed " + report.expired().size() + " expired lease(s), " + report.deadWaiters() + " abandoned waiter(s)\n"
                            + Output.leaseLines(report.expired(), ""));
        }
    }

    @Command(name = "release-agent", description = "Force-release every lease of one agent, recording why.")
    static final class ReleaseAgent implements Callable<Integer> {
        @ParentCommand
        LockCommand lock;

        @Parameters(paramLabel = "AGENT")
        String agent;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (recorded in the log).")
        String reason;

        @Override
        public Integer call() {
            Caller operator = lock.swarm.operatorCaller();
            List<Lease> released = lock.withLeases(leases -> leases.releaseAgent(operator, agent, reason));
            return lock.swarm.output.result(Output.document("agent", agent, "released", JsonViews.leases(released)),
                    "released " + released.size() + " lease(s) of " + agent + "\n" + Output.leaseLines(released, ""));
        }
    }
}
