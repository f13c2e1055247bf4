package dev.swarmhub.leases;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.List;

/**
 * The lease operations as every adapter offers them: arguments with their defaults and limits,
 * and what each does. The CLI verb {@code lock} and the MCP tools {@code *_locks} name these.
 */
public final class LeaseOperations {

    /** The most resources one request may name. */
    public static final int MAX_RESOURCES = 1000;

    public record Acquire(
            @Doc(value = "Paths, globs (src/**/*.py) or name:NAME; all or none", required = true) List<String> resources,
            @Doc(value = "Default exclusive") Mode mode,
            @Doc(value = "Lease time, 1s to 24h (default 5m)", example = "5m") Duration ttl,
            @Doc("Why, shown to others") String reason,
            @Doc(value = "Wait up to this long, queued in order", example = "30s", name = "wait")
            Duration waitFor) {
        public Acquire {
            resources = named(resources);
            mode = mode == null ? Mode.EXCLUSIVE : mode;
        }
    }

    public record Renew(
            @Doc("Held resources to renew") List<String> resources,
            @Doc("true: all held (instead of resources)") Boolean all,
            @Doc(value = "New lease time (default 5m)", example = "5m") Duration ttl) {
        public Renew {
            resources = namedOrAll(resources, all);
        }
    }

    public record Release(
            @Doc("Held resources to release") List<String> resources,
            @Doc("true: all held (instead of resources)") Boolean all) {
        public Release {
            resources = namedOrAll(resources, all);
        }
    }

    public record Who(@Doc(value = "A path, glob or name:NAME", required = true) String resource) {
    }

    /** Who holds leases overlapping a resource: the resource as understood (canonical), and the leases. */
    public record Holding(Resource resource, List<Lease> leases) {
    }

    public record Holders(
            @Doc("Only this agent's leases") String holder,
            @Doc("true: expired leases too") Boolean all) {
    }

    public record ReleaseAgent(
            @Doc(value = "The agent whose leases go", required = true) String agent,
            @Doc(value = "Only its lease on this resource (as it was acquired); every lease of the agent when absent", example = "src/app.py")
            String resource,
            @Doc("Why, recorded in the log") String reason) {
        public ReleaseAgent {
            Limits.agentId(agent);
        }
    }

    public record Cleanup() {
    }

    public record FenceCheck(
            @Doc(value = "A path, name:NAME, or a glob exactly as leased", required = true) String resource,
            @Doc(value = "The fencing token to check", required = true) Long token) {
        public FenceCheck {
            if (token == null) {
                throw SwarmException.badInput("'token' is missing: give the fencing token to check");
            }
        }
    }

    public record FencedWrite(
            @Doc(value = "The file to write (relative to the project root)", required = true) String path,
            @Doc(value = "The fencing token of your lease covering the file", required = true) Long token,
            @Doc(value = "The file's whole new content (UTF-8 text, at most 1 MiB)", required = true) String content) {

        /** The largest content a fenced write takes, from every adapter: a source file, not a data set. */
        public static final int LARGEST_CONTENT_BYTES = 1024 * 1024;

        public FencedWrite {
            if (token == null) {
                throw SwarmException.badInput("'token' is missing: give the fencing token of your lease covering the file");
            }
            if (content == null) {
                throw SwarmException.badInput("'content' is missing: give the file's new content");
            }
            if (content.length() > LARGEST_CONTENT_BYTES / 3 && content.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > LARGEST_CONTENT_BYTES) {
                throw SwarmException.badInput("'content' is over 1 MiB: a fenced write takes at most that");
            }
            if (path != null) {
                java.nio.file.Path named;
                try {
                    named = java.nio.file.Path.of(path).normalize();
                } catch (java.nio.file.InvalidPathException e) {
                    throw SwarmException.badInput("'path' is not a file name: " + e.getReason());
                }
                for (java.nio.file.Path segment : named) {
                    if (segment.toString().equals(".swarm") || segment.toString().equals(".git")) {
                        // the hub's own state, git's (hooks and config run commands), and agents' worktrees (not written here yet)
                        throw SwarmException.badInput("'path' " + path + " is under " + segment + "/: a fenced write names a file of the main tree");
                    }
                }
            }
        }
    }

    public record Queues() {
    }

    public final Operation<Acquire, List<Lease>> acquire;
    public final Operation<Renew, List<Lease>> renew;
    public final Operation<Release, List<Leases.Released>> release;
    public final Operation<Who, Holding> who;
    public final Operation<Holders, List<Lease>> holders;
    public final Operation<ReleaseAgent, List<Lease>> releaseAgent;
    public final Operation<Cleanup, Leases.SweepReport> cleanup;
    public final Operation<Queues, List<Waiter>> waiters;
    public final Operation<FenceCheck, Lease> fenceCheck;
    public final Operation<FencedWrite, Lease> fencedWrite;

    public LeaseOperations(Leases leases, Fencing fencing, ResourceParser parser) {
        acquire = new Operation<>("lease.acquire", "Lease files, globs or name:X resources, all or none; re-acquiring renews.",
                Acquire.class, true, Effect.SET, (caller, a) -> leases.acquire(new Leases.Request(caller, parser.parseAll(a.resources()), a.mode(),
                        a.ttl(), a.reason()), a.waitFor()));
        renew = new Operation<>("lease.renew", "Extend this agent's leases (same fencing token).", Renew.class, true, Effect.SET,
                (caller, a) -> a.resources() == null ? leases.renewAll(caller, a.ttl()) : leases.renew(caller, parser.parseAll(a.resources()), a.ttl()));
        release = new Operation<>("lease.release", "Release this agent's leases.", Release.class, true, Effect.REMOVE,
                (caller, a) -> a.resources() == null ? leases.releaseAll(caller) : leases.release(caller, parser.parseAll(a.resources())));
        who = new Operation<>("lease.who", "Who holds leases overlapping a resource.", Who.class, false, Effect.READ,
                (caller, a) -> {
                    Resource resource = parser.parse(a.resource());
                    return new Holding(resource, leases.who(resource));
                });
        holders = new Operation<>("lease.list", "Live leases, optionally of one holder.", Holders.class, false, Effect.READ,
                (caller, a) -> leases.list(a.holder(), Boolean.TRUE.equals(a.all())));
        releaseAgent = new Operation<>("lease.release-agent", "Operator: force-release an agent's leases (or its one lease on a resource), recording why.",
                ReleaseAgent.class, false, Effect.REMOVE, (caller, a) -> {
                    caller.requireOperator(Leases.RELEASE_OTHERS); // before the resource is parsed: an agent learns nothing from its errors
                    return leases.releaseAgent(caller, a.agent(), a.resource() == null ? null : parser.parse(a.resource()), a.reason());
                });
        waiters = new Operation<>("lease.waiters", "Agents waiting for leases: per resource, in the order they will be served.",
                Queues.class, false, Effect.READ, (caller, a) -> leases.waiters());
        fenceCheck = new Operation<>("lease.fence-check", "Whether a fencing token is that of a live lease covering a resource (denied when not).",
                FenceCheck.class, false, Effect.READ, (caller, a) -> fencing.check(parser.parse(a.resource()), a.token()));
        // not admitting: the content is staged beside its file (a per-file lock taken) before the transaction
        fencedWrite = new Operation<>("lease.write", "Write a file only if your lease covering it still has this fencing token, "
                + "checked in the transaction that puts the write in place.", FencedWrite.class, false, Effect.REMOVE, (caller, a) -> fencing.write(caller, parser.parse(a.path()), a.token(), a.content()));
        cleanup = new Operation<>("lease.cleanup", "Remove expired leases and dead waiters now (the hub does it every second).",
                Cleanup.class, false, Effect.REMOVE, (caller, a) -> leases.sweep());
    }

    private static List<String> named(List<String> resources) {
        if (resources == null || resources.isEmpty()) {
            throw SwarmException.badInput("'resources' is missing or empty: name the paths, globs or name:NAME resources");
        }
        if (resources.size() > MAX_RESOURCES) {
            throw SwarmException.badInput("'resources' names " + resources.size() + "; at most " + MAX_RESOURCES + " per request");
        }
        return List.copyOf(resources);
    }

    /** The named resources, or null for all of the agent's: one of the two, never both or neither. */
    private static List<String> namedOrAll(List<String> resources, Boolean all) {
        if (Boolean.TRUE.equals(all)) {
            if (resources != null) {
                throw SwarmException.badInput("give 'resources' or 'all', not both");
            }
            return null;
        }
        if (resources == null) {
            throw SwarmException.badInput("'resources' is missing: name the resources, or give 'all': true for every lease held");
        }
        return named(resources);
    }
}
